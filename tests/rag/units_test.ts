/** Tests for src/rag/units.ts: lines → units, chrome flags, long lines, read shares. */
import assert from "node:assert/strict";
import type { RagSource } from "../../src/rag/detect.ts";
import {
  allUnits,
  listLike,
  LONG_LINE,
  MAX_READ_CHARS,
  MIN_SHARE,
  readShares,
  sourceUnits,
} from "../../src/rag/units.ts";

const src = (id: string, text: string): RagSource => ({ id, name: null, text });
/** The readable units (soft lines are units of their own, kept only by a section). */
const readable = (units: ReturnType<typeof sourceUnits>) => units.filter((u) => !u.soft);
const units = (text: string) =>
  readable(sourceUnits(src("1", text), 0)).map((
    u,
  ) => [u.text, u.fields, u.junkBefore, u.junkAfter]);

Deno.test("sourceUnits() drops junk and keeps structure blocks with their intro", () => {
  const units = sourceUnits(
    src(
      "2",
      [
        "Home | News | Contact",
        "Use a soft reset to keep your changes:",
        "git reset --soft HEAD~1",
        "Share",
        "Battery: 50 Wh",
        "Weight: 640 g",
      ].join("\n"),
    ),
    0,
  );
  assert.deepEqual(readable(units).map((u) => [u.text, u.fields, u.junkBefore, u.junkAfter]), [
    ["Use a soft reset to keep your changes:\ngit reset --soft HEAD~1", false, true, true],
    ["Battery: 50 Wh\nWeight: 640 g", true, true, false],
  ]);
});

Deno.test("sourceUnits(): rows with a number in each dotted cell are a table; a byline is not", () => {
  const texts = (lines: string[]) =>
    readable(sourceUnits(src("1", lines.join("\n")), 0)).map((u) => u.text);
  assert.deepEqual(texts(["Ab 18:10 · an 18:34", "Ab 20:10 · an 20:34"]), [
    "Ab 18:10 · an 18:34\nAb 20:10 · an 20:34",
  ]);
  // One row alone, or rows whose cells are names (a "most viewed" line), stay what they were.
  assert.deepEqual(texts(["By Ana Ruiz · 3 May 2024 · 5 min read"]), []);
  assert.deepEqual(texts(["Seen: Nova 8 · Note 12 · A55", "© 2025 Fichas · Legal · Privacy"]), []);
  // Dashes: three rows ending in clock times are a timetable; products with prices are not.
  assert.deepEqual(texts(["Haridwar — arr 18:18", "Roorkee — arr 18:52", "Delhi — arr 22:20"]), [
    "Haridwar — arr 18:18\nRoorkee — arr 18:52\nDelhi — arr 22:20",
  ]);
  assert.deepEqual(texts(["Haridwar — arr 18:18", "Roorkee — arr 18:52"]), []);
  assert.deepEqual(texts(["Velora C3 — ab 2.499 €", "Velora T5 — ab 3.199 €"]), []);
});

Deno.test("sourceUnits(): a sentence ending in a colon takes the short lines it announces", () => {
  const text = "Find the line #Port 22 and write the new number:\nPort 2222\n" +
    "Save the file.\nRead also:\nTen Linux commands\nBash from scratch";
  assert.deepEqual(sourceUnits(src("1", text), 0).map((u) => [u.text, u.soft]), [
    ["Find the line #Port 22 and write the new number:\nPort 2222", false],
    ["Save the file.", false],
    // A label announces links as often: its lines stay soft.
    ["Read also:", false],
    ["Ten Linux commands", true],
    ["Bash from scratch", true],
  ]);
});

Deno.test("sourceUnits() groups structure by family and marks chrome on either side", async (t) => {
  const rows: [string, string[], (string | boolean)[][]][] = [
    [
      "a byline field does not join the ingredient list after it",
      ["Rating: 4.9 of 5 (1,203 votes)", "- 500 g flour", "- 2 eggs"],
      [["Rating: 4.9 of 5 (1,203 votes)", true, false, false], [
        "- 500 g flour\n- 2 eggs",
        false,
        false,
        false,
      ]],
    ],
    [
      "an intro line takes fields after it (then it is not a field block)",
      ["Specifications:", "Weight: 1.2 kg", "Battery: 50 Wh"],
      [["Specifications:\nWeight: 1.2 kg\nBattery: 50 Wh", false, false, false]],
    ],
    [
      "list items and code lines stay in one block",
      ["- Install it:", "sudo apt install curl", "- Then run it."],
      [["- Install it:\nsudo apt install curl\n- Then run it.", false, false, false]],
    ],
    [
      "blank lines do not separate a unit from the chrome around it",
      ["Share", "", "The tower is 330 metres tall.", "", "Tweet"],
      [["The tower is 330 metres tall.", false, true, true]],
    ],
    [
      "a unit between two units touches no chrome",
      ["The tower is 330 metres tall.", "It opened in 1889.", "It is made of iron."],
      [
        ["The tower is 330 metres tall.", false, false, false],
        ["It opened in 1889.", false, false, false],
        ["It is made of iron.", false, false, false],
      ],
    ],
  ];
  for (const [name, lines, expected] of rows) {
    await t.step(
      `sourceUnits(): ${name}`,
      () => assert.deepEqual(units(lines.join("\n")), expected),
    );
  }
});

Deno.test("sourceUnits() reads a line longer than LONG_LINE sentence by sentence", () => {
  const sentence =
    "The tower was painted again in the spring of that year by a team of forty people. ";
  const line = sentence.repeat(Math.ceil(LONG_LINE / sentence.length) + 1).trim();
  const texts = sourceUnits(src("1", line), 0).map((u) => u.text);
  assert.ok(texts.length > 1);
  assert.ok(texts.every((t) => t === sentence.trim()));
});

Deno.test("sourceUnits() cuts stale 'now' claims before reading a page", async (t) => {
  const body = "The RK3588 NPU is rated at 6 TOPS.";
  const rows: [string, string, string[]][] = [
    ["a line that is only a claim goes", `The current date is March 3, 2026.\n${body}`, [body]],
    [
      "a claim sentence is cut, the rest of its line stays",
      `Today is Monday, 3 March 2026. ${body}`,
      [body],
    ],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`sourceUnits(): ${name}`, () => {
      assert.deepEqual(sourceUnits(src("1", text), 0).map((u) => u.text), expected);
    });
  }
});

Deno.test("readShares() reads everything within the cap, else fair shares in order", async (t) => {
  const rows: [string, number[], number, number[]][] = [
    ["all fits", [100, 200], 1000, [100, 200]],
    ["equal shares of the cap", [9000, 9000, 9000], 9000, [3000, 3000, 3000]],
    ["a short source's unused share goes to the long ones", [100, 9000, 9000], 8100, [
      100,
      4000,
      4000,
    ]],
    [
      "at least MIN_SHARE each while the cap lasts: later sources get none",
      [5000, 5000, 5000, 5000],
      2 * MIN_SHARE,
      [MIN_SHARE, MIN_SHARE, 0, 0],
    ],
    ["no sources", [], 1000, []],
  ];
  for (const [name, lengths, cap, expected] of rows) {
    await t.step(
      `readShares(): ${name}`,
      () => assert.deepEqual(readShares(lengths, cap), expected),
    );
  }
  await t.step("readShares(): the default cap", () => {
    assert.deepEqual(readShares([MAX_READ_CHARS, MAX_READ_CHARS]), [
      MAX_READ_CHARS / 2,
      MAX_READ_CHARS / 2,
    ]);
  });
});

Deno.test("allUnits() reads each source up to its share, cut at a line end", () => {
  const lines = Array.from({ length: 400 }, (_, i) => `Line number ${i} of the long page is here.`);
  const long = src("1", lines.join("\n"));
  const short = src("2", "The tower is 330 metres tall.");
  const all = allUnits([long, short], 5000);
  const read = all.filter((u) => u.sourceId === "1").map((u) => u.text);
  assert.deepEqual(read, lines.slice(0, read.length));
  assert.ok(read.join("\n").length <= 5000 - short.text.length);
  assert.ok(read.length > 50);
  assert.equal(all.at(-1)?.text, short.text);
});

Deno.test("sourceUnits() keeps soft lines as units of their own, with what is around them", () => {
  const us = sourceUnits(
    src("1", ["Home | News", "Horário", "Seg: 10h–17h", "Dom: fechado", "Aceitar"].join("\n")),
    0,
  );
  assert.deepEqual(
    us.map((u) => [u.text, u.soft, u.hardBefore, u.softBefore, u.junkBefore, u.junkAfter]),
    [
      ["Horário", true, true, null, true, false],
      ["Seg: 10h–17h\nDom: fechado", false, false, "Horário", true, true],
      ["Aceitar", true, false, null, false, false],
    ],
  );
});

Deno.test("sourceUnits() reads a run of `a | b | c` rows as a table, one row as a menu", () => {
  const rows = ["Pos | Peak | Height", "1 | Teide | 3715 m", "2 | Mulhacén | 3479 m"];
  const table = readable(sourceUnits(src("1", rows.join("\n")), 0));
  assert.deepEqual(table.map((u) => u.text), [rows.join("\n")]);
  const menu = readable(sourceUnits(src("1", "Sport | News | Weather\nThe match ended 2-1."), 0));
  assert.deepEqual(menu.map((u) => u.text), ["The match ended 2-1."]);
});

Deno.test("listLike() tells a soft line shaped like a list line", async (t) => {
  const rows: [string, string, boolean][] = [
    ["1 TL Salz", "de", true], // starts with a number
    ["Tuz, karabiber, kimyon", "tr", true], // enumerates
    ["Bilety okresowe można teraz kupić również przez BLIK", "pl", true], // a sentence
    ["Add to cart", "en", false],
    ["Customers also viewed", "en", false],
    ["Schwäbische Maultaschen", "de", false],
    ["2024年3月16日更新", "ja", false], // a date, not a name and a quantity
    ["砂糖　大さじ2", "ja", true], // a name, a space, a quantity
    ["じゃがいも　4個（約500g）", "ja", true],
    ["댓글 12", "ko", false], // a bare count: a counter
    ["満足度 4.62（レビュー 48件）", "ja", false], // a rating
  ];
  for (const [line, lang, expected] of rows) {
    await t.step(`listLike("${line}") = ${expected}`, () => {
      assert.equal(listLike(line, lang), expected);
    });
  }
});
