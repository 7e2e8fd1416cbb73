/**
 * Tests for src/rag/dedupe.ts: the exact key, Jaccard similarity with its 0.70 boundary,
 * first-occurrence-wins across sources, and repeated-sentence removal.
 */
import assert from "node:assert/strict";
import { dedupe, dropRepeatedSentences, exactKey, jaccard } from "../../src/rag/dedupe.ts";

/** n distinct words with a prefix: words("a", 3) = "a0 a1 a2". */
function words(prefix: string, n: number): string {
  return Array.from({ length: n }, (_, i) => `${prefix}${i}`).join(" ");
}

interface P {
  sourceId: string;
  text: string;
}
const p = (sourceId: string, text: string): P => ({ sourceId, text });

Deno.test("exactKey() lower-cases and removes whitespace and colons, keeps digits", async (t) => {
  const rows: [string, string, string][] = [
    ["case and spaces", "Hello  World", "helloworld"],
    ["colons go, digits stay", "Updated 12:30, 3 May 2024", "updated1230,3may2024"],
    ["newlines and tabs", "a\n\tb", "ab"],
    ["punctuation stays", "Yes! No?", "yes!no?"],
    ["cut at 80 characters", "x".repeat(100), "x".repeat(80)],
    [
      "cut after removal",
      `${"1 ".repeat(50)}${"y".repeat(90)}`,
      `${"1".repeat(50)}${"y".repeat(30)}`,
    ],
  ];
  for (const [name, input, key] of rows) {
    await t.step(`exactKey(): ${name}`, () => assert.equal(exactKey(input), key));
  }
});

Deno.test("jaccard() compares lower-cased word sets", async (t) => {
  const common7 = words("c", 7);
  const common9 = words("c", 9);
  const rows: [string, string, string, number][] = [
    ["identical", "a b c", "a b c", 1],
    ["disjoint", "a b", "c d", 0],
    ["case-insensitive", "The NPU", "the npu", 1],
    ["repeated words count once", "a a a b", "a b", 1],
    ["one empty", "", "a b", 0],
    ["both empty", " ", "", 0],
    ["7 shared of 10 → 0.70", `${common7} x0 x1`, `${common7} y0`, 0.7],
    ["9 shared of 13 → 0.69", `${common9} x0 x1`, `${common9} y0 y1`, 9 / 13],
  ];
  for (const [name, a, b, expected] of rows) {
    await t.step(`jaccard() → ${expected.toFixed(2)}: ${name}`, () => {
      assert.equal(jaccard(a, b), expected);
    });
  }
});

Deno.test("dedupe() keeps the first occurrence", async (t) => {
  const common7 = words("c", 7);
  const common9 = words("c", 9);
  const rows: { name: string; input: P[]; kept: P[]; threshold?: number }[] = [
    {
      name: "an exact duplicate in a later source is dropped",
      input: [p("1", "The NPU has three cores."), p("2", "The NPU has three cores.")],
      kept: [p("1", "The NPU has three cores.")],
    },
    {
      name: "a copy differing only in case, colons and whitespace is an exact duplicate",
      input: [p("1", "Updated 3 May:  the NPU"), p("2", "updated 3 may the\nnpu")],
      kept: [p("1", "Updated 3 May:  the NPU")],
    },
    {
      // Release headings, timetable rows, prices: the number is what they say.
      name: "lines that differ only in their numbers are not duplicates",
      input: [p("1", "v3.9.0（2024-06-20）"), p("1", "v3.8.2（2024-05-14）")],
      kept: [p("1", "v3.9.0（2024-06-20）"), p("1", "v3.8.2（2024-05-14）")],
    },
    {
      name: "similarity 0.70 is a near-duplicate",
      input: [p("1", `${common7} x0 x1`), p("2", `${common7} y0`)],
      kept: [p("1", `${common7} x0 x1`)],
    },
    {
      name: "similarity 0.69 is kept",
      input: [p("1", `${common9} x0 x1`), p("2", `${common9} y0 y1`)],
      kept: [p("1", `${common9} x0 x1`), p("2", `${common9} y0 y1`)],
    },
    {
      name: "similarity 0.69 is a near-duplicate with threshold 0.69",
      input: [p("1", `${common9} x0 x1`), p("2", `${common9} y0 y1`)],
      kept: [p("1", `${common9} x0 x1`)],
      threshold: 0.69,
    },
    {
      name: "similarity is checked against every kept paragraph, not only the last",
      input: [p("1", `${common7} x0 x1`), p("1", "unrelated words here"), p("3", `${common7} y0`)],
      kept: [p("1", `${common7} x0 x1`), p("1", "unrelated words here")],
    },
    {
      name: "distinct paragraphs all stay, in order",
      input: [p("2", "b b"), p("1", "a a"), p("3", "c c")],
      kept: [p("2", "b b"), p("1", "a a"), p("3", "c c")],
    },
  ];
  for (const row of rows) {
    await t.step(`dedupe(): ${row.name}`, () => {
      assert.deepEqual(dedupe(row.input, row.threshold), row.kept);
    });
  }
});

Deno.test("dropRepeatedSentences() cuts sentences an earlier paragraph had", async (t) => {
  const fact = "The Orange Pi 5 Plus uses the Rockchip RK3588 system on a chip.";
  const rows: { name: string; input: P[]; kept: P[] }[] = [
    {
      name: "a copied sentence is cut from the later paragraph",
      input: [p("1", `Intro text here. ${fact}`), p("3", `${fact} It has 32 GB.`)],
      kept: [p("1", `Intro text here. ${fact}`), p("3", "It has 32 GB.")],
    },
    {
      name: "a paragraph with nothing left is dropped",
      input: [p("1", `Orange Pi boards.\n${fact}\nMore.`), p("3", fact)],
      kept: [p("1", `Orange Pi boards.\n${fact}\nMore.`)],
    },
    {
      name: "matching ignores case, punctuation and line breaks",
      input: [
        p("1", fact),
        p("2", fact.toUpperCase().replace(" system ", "\nsystem ")),
        p("3", "x"),
      ],
      kept: [p("1", fact), p("3", "x")],
    },
    {
      name: "sentences under six words are never cut",
      input: [p("1", "Read the docs first. Then flash."), p("2", "Read the docs first. Done.")],
      kept: [p("1", "Read the docs first. Then flash."), p("2", "Read the docs first. Done.")],
    },
    {
      name: "a sentence repeated within one paragraph is cut",
      input: [p("1", `${fact} ${fact}`)],
      kept: [p("1", fact)],
    },
    {
      name: "an abbreviation does not end the sentence that is matched",
      input: [
        p("1", "Revised by Dr. Laura Gomez and her team in 2025. Fine."),
        p("2", "Intro. Revised by Dr. Laura Gomez and her team in 2025."),
      ],
      kept: [p("1", "Revised by Dr. Laura Gomez and her team in 2025. Fine."), p("2", "Intro.")],
    },
    {
      name: "a repeated Chinese sentence is cut (words, not spaces, are counted)",
      input: [
        p("1", "小米手环9的电池容量是233毫安时。"),
        p("2", "续航很好。小米手环9的电池容量是233毫安时。"),
      ],
      kept: [p("1", "小米手环9的电池容量是233毫安时。"), p("2", "续航很好。")],
    },
  ];
  for (const row of rows) {
    await t.step(`dropRepeatedSentences(): ${row.name}`, () => {
      assert.deepEqual(dropRepeatedSentences(row.input), row.kept);
    });
  }
});

Deno.test("dedupe() finds near-duplicates among many paragraphs without comparing all pairs", async (t) => {
  // Letters only: the exact key drops digits.
  const tag = (n: number) =>
    n.toString(26).replace(/./g, (c) => "abcdefghijklmnopqrstuvwxyz"[parseInt(c, 26)]);
  const text = (i: number, n: number) =>
    Array.from({ length: n }, (_, k) => `${tag(i)}q${tag(k)}`).join(" ");
  const distinct = Array.from({ length: 5000 }, (_, i) => p("1", text(i, 8)));
  await t.step("5,000 distinct paragraphs all stay", () => {
    assert.equal(dedupe(distinct).length, 5000);
  });
  await t.step("a near-duplicate of the first is found after 5,000 others", () => {
    const near = p("2", `${text(0, 8)} other`); // 8 of 9 words shared
    assert.equal(dedupe([...distinct, near]).length, 5000);
  });
  await t.step("sharing two words with 128 earlier paragraphs does not make a duplicate", () => {
    const crowd = Array.from(
      { length: 128 },
      (_, i) => p("1", `common shared ${text(i + 1, 1)}`),
    );
    const last = p("2", "common shared last");
    assert.equal(dedupe([...crowd, last]).length, crowd.length + 1);
  });
});
