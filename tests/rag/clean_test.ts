/**
 * Tests for src/rag/clean.ts: the verified example of reference A.10.3, one row per pass and
 * per navigation pattern, every boilerplate phrase, pass 0 (stale date claims) and the
 * short-result fallback.
 */
import assert from "node:assert/strict";
import {
  BOILERPLATE_PHRASES,
  cleanSource,
  navigationPattern,
  removeStaleDates,
} from "../../src/rag/clean.ts";

/** Survives every pass and is over 100 characters, so the fallback never hides a row's effect. */
const BODY = "Paris is the capital of France. It has 2.1 million residents.\n" +
  "A long line without punctuation that is definitely more than forty characters";

Deno.test("cleanSource() reproduces the verified example of reference A.10.3", () => {
  const input = [
    "Home",
    "News",
    "Sport",
    "Weather",
    "",
    "Sign in to your account",
    "HomeNewsSportWeather",
    "The Quick Brown Fox Jumps Over Lazy Dogs",
    "Visit https://a.com and https://b.com",
    "Paris is the capital of France. It has 2.1 million residents.",
    "Short line",
    "Another short one",
    "x",
    "y",
    "A long line without punctuation that is definitely more than forty characters",
    "tiny",
  ].join("\n");
  assert.equal(
    cleanSource(input),
    "Paris is the capital of France. It has 2.1 million residents.\n" +
      "A long line without punctuation that is definitely more than forty characters",
  );
});

Deno.test("cleanSource() runs each pass", async (t) => {
  const rows: { name: string; before: string; after?: string }[] = [
    // pass 0
    {
      name: "cleanSource() drops a stale 'current date is' line (pass 0)",
      before: "The current date is March 3, 2026.",
    },
    {
      name: "cleanSource() cuts a stale date sentence and keeps the rest of its line (pass 0)",
      before: "Today is Monday, 3 March 2026. The NPU is rated at 6 TOPS.",
      after: "The NPU is rated at 6 TOPS.",
    },
    // pass 1
    { name: "cleanSource() drops a line with a boilerplate phrase (pass 1)", before: "Sign in" },
    {
      name: "cleanSource() keeps a boilerplate phrase in a line of 150+ characters (pass 1)",
      before: `Sign in to the board over SSH, then run the installer; ${"it checks ".repeat(10)}.`,
      after: `Sign in to the board over SSH, then run the installer; ${"it checks ".repeat(10)}.`,
    },
    // pass 2
    {
      name: "cleanSource() drops a run-together menu (pass 2a)",
      before: "HomeNewsSportWeather",
    },
    {
      name: "cleanSource() drops a Title Case line without punctuation (pass 2b)",
      before: "The Quick Brown Fox Jumps Over Lazy Dogs",
    },
    {
      name: "cleanSource() drops a line with two links (pass 2c)",
      before: "Mirror https://a.example.com/x and https://b.example.com/y for the files.",
    },
    {
      name: "cleanSource() drops a short line with one link and no sentence (pass 2d)",
      before: "Source: https://example.com/page",
    },
    // pass 3
    {
      name: "cleanSource() drops a run of 4 short menu lines (pass 3)",
      before: "Page 1\nPage 2\nPage 3\nPage 4",
    },
    {
      name: "cleanSource() keeps a run of 3 short lines (pass 3)",
      before: "Page 1\nPage 2\nPage 3",
      after: "Page 1\nPage 2\nPage 3",
    },
    {
      name: "cleanSource() counts blank lines inside a run: 2 short + 2 blank = 4 (pass 3)",
      before: "Page 1\n\nPage 2\n",
    },
    // pass 4
    {
      name: "cleanSource() drops a short line without digit or punctuation (pass 4)",
      before: "Related posts",
    },
    {
      name: "cleanSource() keeps a short line with a digit (pass 4)",
      before: "Est 1999",
      after: "Est 1999",
    },
  ];
  for (const row of rows) {
    await t.step(row.name, () => {
      const expected = row.after === undefined ? BODY : `${row.after}\n${BODY}`;
      assert.equal(cleanSource(`${row.before}\n${BODY}`), expected);
    });
  }
});

Deno.test("cleanSource() drops a line with each boilerplate phrase", async (t) => {
  assert.equal(BOILERPLATE_PHRASES.length, 46);
  for (const phrase of BOILERPLATE_PHRASES) {
    await t.step(`cleanSource() drops "x ${phrase} y."`, () => {
      assert.equal(cleanSource(`x ${phrase.toUpperCase()} y.\n${BODY}`), BODY);
    });
  }
});

Deno.test("navigationPattern() tells which pattern a line matches", async (t) => {
  const rows: [string, string, "a" | "b" | "c" | "d" | null][] = [
    ["two lower-upper joints, no punctuation", "HomeNews SportWeather", "a"],
    ["one joint is not enough", "iPhone accessories and cases for sale", null],
    ["joints with punctuation are prose", "The iPhone runs iOS.", null],
    ["4 words, all capitalised", "Home News Sport Weather", "b"],
    [
      "13 of 20 capitalised (65 %) is not more than 65 %",
      "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj Kk Ll Mm nn oo pp qq rr ss tt",
      null,
    ],
    [
      "14 of 20 capitalised (70 %)",
      "Aa Bb Cc Dd Ee Ff Gg Hh Ii Jj Kk Ll Mm Nn oo pp qq rr ss tt",
      "b",
    ],
    ["3 capitalised words are too few", "Home News Sport", null],
    ["capitalised words with punctuation", "Orange Pi Five Plus Board.", null],
    ["two links", "https://a.com https://b.com", "c"],
    ["one link in a short line", "Source: https://example.com/page", "d"],
    // The reference checked the whole line, so the URL's own dot kept this line.
    ["one link whose only dots are inside the URL", "https://example.com/a.html", "d"],
    ["one link in a sentence", "See https://example.com/page for the manual.", null],
    [
      "one link in a line of 80+ characters",
      "Documentation for the board and its NPU can be found at https://example.com/docs/npu",
      null,
    ],
    ["a plain sentence", "The NPU has three cores.", null],
  ];
  for (const [name, line, expected] of rows) {
    await t.step(`navigationPattern() → ${expected} for ${name}`, () => {
      assert.equal(navigationPattern(line), expected);
    });
  }
});

Deno.test("removeStaleDates() removes claims about now only when they carry a date", async (t) => {
  const rows: [string, string, string][] = [
    ["'The current date is' + month day year", "The current date is March 3, 2026.", ""],
    ["'Current time:' + clock time", "Current time: 10:12 UTC", ""],
    ["'Today's date is' + ISO date", "Today's date is 2024-01-05.", ""],
    ["'It is currently' + numeric date", "It is currently 3/3/2026 in Berlin.", ""],
    ["'Today is' + weekday", "Today is Monday. Prices rose 3%.", "Prices rose 3%."],
    [
      "'The current date and time is' + day month year",
      "Hello. The current date and time is 3rd of March 2026, 10:12. Bye now.",
      "Hello. Bye now.",
    ],
    [
      "an abbreviated month does not end the sentence",
      "Today is Mar. 3, 2026. The board ships.",
      "The board ships.",
    ],
    [
      "a claim without a date stays",
      "The current date is not known to the model.",
      "The current date is not known to the model.",
    ],
    [
      "'Today, …' news stays",
      "Today, Rockchip announced the RK3688 on March 3.",
      "Today, Rockchip announced the RK3688 on March 3.",
    ],
    [
      "a past date stays",
      "This page was last edited on 3 March 2026, at 10:12 (UTC).",
      "This page was last edited on 3 March 2026, at 10:12 (UTC).",
    ],
    [
      "'today is' without a date stays",
      "Today is a good day to buy.",
      "Today is a good day to buy.",
    ],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`removeStaleDates() for ${name}`, () => {
      assert.equal(removeStaleDates(input), expected);
    });
  }
  await t.step("removeStaleDates() removes a line left empty, keeps the others", () => {
    assert.equal(removeStaleDates("a\nCurrent date: 2026-03-03\n\nb"), "a\n\nb");
  });
});

Deno.test("cleanSource() falls back when cleaning leaves 100 characters or less", async (t) => {
  const hundred = `${"x".repeat(99)}.`; // one content line of exactly 100 characters
  const rows: [string, string, string][] = [
    ["a short text is returned as it was", "Home\nNews\nJust a note", "Home\nNews\nJust a note"],
    [
      "exactly 100 cleaned characters → the original",
      `Menu\n${hundred}\n`,
      `Menu\n${hundred}\n`,
    ],
    ["101 cleaned characters → the cleaned text", `Menu\nx${hundred}`, `x${hundred}`],
    [
      "the fallback still has the stale date removed",
      "Home\nCurrent date: 2026-03-03\nShort note.",
      "Home\nShort note.",
    ],
  ];
  for (const [name, input, expected] of rows) {
    await t.step(`cleanSource(): ${name}`, () => {
      assert.equal(cleanSource(input), expected);
    });
  }
});

Deno.test("cleanSource() collapses blank lines to one and drops leading ones", () => {
  const input = `\n\n${BODY.replace("\n", "\n\n\n\n")}\n\n`;
  assert.equal(cleanSource(input), BODY.replace("\n", "\n\n"));
});
