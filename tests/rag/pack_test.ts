/**
 * Tests for src/rag/pack.ts: paragraph splitting and merging, the budget cut, and packing
 * (cleaning, cross-source duplicates, minimum score, quality floor, greedy budget, order, ids).
 */
import assert from "node:assert/strict";
import type { RagSource } from "../../src/rag/detect.ts";
import { cutToBudget, MAX_PARAGRAPHS, packSources, splitParagraphs } from "../../src/rag/pack.ts";

const src = (id: string, text: string): RagSource => ({ id, name: null, text });

/** Relevant, well-formed paragraphs about the NPU (each scores well above the floor). */
const FACTS = [
  "The RK3588 NPU has three cores and is rated at 6 TOPS in total for INT8 workloads.",
  "Qwen3 1.7B runs at about 14 tokens per second on the NPU after w8a8 quantization.",
  "The NPU shares the LPDDR4X memory of the board, up to 32 GB on the Orange Pi 5 Plus.",
  "Prefill of a 1000-token prompt takes about 2 seconds on the NPU with a 4B model.",
];
const QUESTION = "How fast is the RK3588 NPU?";

Deno.test("splitParagraphs() splits on blank lines and merges short runs", async (t) => {
  const long = "A paragraph that ends a sentence and is long enough to stand alone.";
  const rows: [string, string, string[]][] = [
    ["blank lines separate paragraphs", `${long}\n\n${long}2`, [long, `${long}2`]],
    ["whitespace-only lines are blank", `${long}\n \t\n${long}2`, [long, `${long}2`]],
    ["single newlines stay inside", "a.\nb.", ["a.\nb."]],
    ["paragraphs are trimmed, empty ones dropped", `\n\n  ${long}  \n\n\n\n`, [long]],
    [
      "consecutive short paragraphs are joined with a space",
      `Home\n\nNews\n\nSport\n\n${long}`,
      ["Home News Sport", long],
    ],
    ["a short paragraph ending a sentence is not merged", `Home\n\nYes.\n\nNews`, [
      "Home",
      "Yes.",
      "News",
    ]],
    ["a run is flushed at the end", `${long}\n\nAbout\n\nContact`, [long, "About Contact"]],
    [
      "a paragraph of 60 characters is not short",
      `Home\n\n${"x".repeat(60)}\n\nNews`,
      ["Home", "x".repeat(60), "News"],
    ],
  ];
  for (const [name, text, expected] of rows) {
    await t.step(`splitParagraphs(): ${name}`, () => {
      assert.deepEqual(splitParagraphs(text), expected);
    });
  }
});

Deno.test("cutToBudget() cuts at a sentence or line end past half the budget", async (t) => {
  const rows: [string, string, number, string][] = [
    ["a text within budget is unchanged", "Short text.", 50, "Short text."],
    [
      "cut after the last sentence end",
      "One two three. Four five six. Seven",
      31,
      "One two three. Four five six.",
    ],
    ["cut at the last newline", "aaaaaaaaaa\nbbbbbbbbbb\ncccc", 24, "aaaaaaaaaa\nbbbbbbbbbb"],
    [
      "no boundary past half: hard cut",
      "Aa. bbbbbbbbbbbbbbbbbbbbbbbbbbbb",
      20,
      "Aa. bbbbbbbbbbbbbbbb",
    ],
  ];
  for (const [name, text, max, expected] of rows) {
    await t.step(`cutToBudget(): ${name}`, () => assert.equal(cutToBudget(text, max), expected));
  }
});

Deno.test("packSources() packs the best paragraphs", async (t) => {
  await t.step("packSources() keeps each paragraph's source id", () => {
    const r = packSources([src("7", FACTS[0]), src("2", FACTS[1])], QUESTION, 5000);
    assert.deepEqual(r.kept.map((k) => [k.sourceId, k.text]), [["7", FACTS[0]], ["2", FACTS[1]]]);
  });

  await t.step("packSources() cleans junk even when everything fits the budget", () => {
    const r = packSources(
      [src(
        "1",
        `Jump to content\nAccept all cookies\nSign in\n${FACTS[0]}\n${FACTS[1]}\nPowered by`,
      )],
      QUESTION,
      100_000,
    );
    assert.deepEqual(r.kept.map((k) => k.text), [`${FACTS[0]}\n${FACTS[1]}`]);
    assert.ok(r.charsAfter < r.charsBefore);
  });

  await t.step("packSources() drops a duplicate in a later source, the earlier one wins", () => {
    const r = packSources(
      [src("1", FACTS[0]), src("2", `${FACTS[1]}\n\n${FACTS[0]}`)],
      QUESTION,
      5000,
    );
    assert.deepEqual(r.kept.map((k) => [k.sourceId, k.text]), [["1", FACTS[0]], ["2", FACTS[1]]]);
    assert.equal(r.droppedDuplicates, 1);
  });

  await t.step("packSources() drops paragraphs scoring under 2", () => {
    const r = packSources(
      [src("1", `${FACTS[0]}\n\nHome News Sport Weather Contact Us`)],
      QUESTION,
      5000,
    );
    assert.deepEqual(r.kept.map((k) => k.text), [FACTS[0]]);
    assert.ok(r.kept.every((k) => k.score >= 2));
  });

  await t.step("packSources() keeps nothing when the best score is under the floor", () => {
    const junk = "Home\n\nNews\n\nSport\n\nWeather\n\nCopyright 2024 All rights reserved.";
    const r = packSources([src("1", junk), src("2", "Menu\n\nLogin")], QUESTION, 5000);
    assert.deepEqual(r.kept, []);
    assert.equal(r.floorTriggered, true);
    assert.ok(r.bestScore < 3);
    assert.equal(r.charsAfter, 0);
  });

  await t.step("packSources() with no sources keeps nothing", () => {
    const r = packSources([], QUESTION, 5000);
    assert.deepEqual(r, {
      kept: [],
      bestScore: 0,
      floorTriggered: true,
      charsBefore: 0,
      charsAfter: 0,
      droppedDuplicates: 0,
    });
  });

  await t.step("packSources() picks by score within the budget, then restores the order", () => {
    // Scores: FACTS[0] 14 (npu, rk3588), FACTS[1] 12, FACTS[2] 11.
    const text = [FACTS[1], FACTS[2], FACTS[0]].join("\n\n");
    const full = packSources([src("1", text)], QUESTION, 100_000);
    assert.deepEqual(full.kept.map((k) => k.score), [12, 11, 14]);
    // Room for the best paragraph and its separator only.
    const one = packSources([src("1", text)], QUESTION, FACTS[0].length + 2);
    assert.deepEqual(one.kept.map((k) => k.text), [FACTS[0]]);
    // Room for the two best: back in their original order, not the score order.
    const two = packSources([src("1", text)], QUESTION, FACTS[0].length + FACTS[1].length + 4);
    assert.deepEqual(two.kept.map((k) => k.text), [FACTS[1], FACTS[0]]);
  });

  await t.step(
    "packSources() skips a paragraph too big for what is left, then fits a smaller one",
    () => {
      const big =
        "The NPU supports INT4, INT8 and FP16 weights, and the toolkit converts Hugging " +
        "Face models on a PC before they are copied to the board."; // 135 chars, score 12
      const small = "The NPU supports INT4 and INT8 weights."; // 39 chars, score 5
      const r = packSources(
        [src("1", [FACTS[0], big, small].join("\n\n"))],
        QUESTION,
        FACTS[0].length + 2 + 100,
      );
      assert.deepEqual(r.kept.map((k) => [k.text, k.score]), [[FACTS[0], 14], [small, 5]]);
    },
  );

  await t.step("packSources() restores source order across sources", () => {
    const r = packSources(
      [src("1", FACTS[1]), src("2", FACTS[0]), src("3", FACTS[2])],
      QUESTION,
      100_000,
    );
    assert.deepEqual(r.kept.map((k) => k.sourceId), ["1", "2", "3"]);
  });

  await t.step(`packSources() keeps at most ${MAX_PARAGRAPHS} paragraphs`, () => {
    // Distinct words in each, so that none is a near-duplicate of another.
    const many = Array.from(
      { length: 14 },
      (_, i) => {
        const l = "abcdefghijklmn"[i]; // letters: the exact key ignores digits
        return `Run ${i} of the RK3588 NPU test used ${l}a ${l}b ${l}c ${l}d ${l}e ${l}f ${l}g.`;
      },
    );
    const r = packSources([src("1", many.join("\n\n"))], QUESTION, 100_000);
    assert.equal(r.kept.length, MAX_PARAGRAPHS);
  });

  await t.step("packSources() cuts the best paragraph when none fits the budget", () => {
    const long = Array(20).fill(FACTS[0]).map((f, i) => f.replace("6 TOPS", `${i} TOPS`))
      .join(" ");
    const r = packSources([src("4", long)], QUESTION, 500);
    assert.equal(r.kept.length, 1);
    assert.equal(r.kept[0].sourceId, "4");
    assert.ok(r.kept[0].text.length <= 498);
    assert.ok(r.kept[0].text.endsWith("."));
  });

  await t.step("packSources() counts characters before and after", () => {
    const raw = `Sign in\n${FACTS[0]}\n\n${FACTS[1]}`;
    const r = packSources([src("1", raw)], QUESTION, 5000);
    assert.equal(r.charsBefore, raw.length);
    assert.equal(r.charsAfter, FACTS[0].length + FACTS[1].length);
  });

  await t.step("packSources() keeps a short source whole: the cleaner's fallback", () => {
    // Cleaned, this is FACTS[0] alone (82 characters ≤ 100), so the cleaner returns it as is.
    const raw = `Sign in\n${FACTS[0]}`;
    const r = packSources([src("1", raw)], QUESTION, 5000);
    assert.deepEqual(r.kept.map((k) => k.text), [raw]);
  });
});
