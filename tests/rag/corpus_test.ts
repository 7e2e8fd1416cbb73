/**
 * Floors on the RAG corpus (tests/rag/corpus): the tuning split must keep every labelled fact
 * under its source id, drop every irrelevant source and abstain exactly when it should; junk
 * removal, the held-out split and the blind split (the development set of round 3, notes/rag.md)
 * get floors below the measured numbers, so a regression fails.
 */
import assert from "node:assert/strict";
import { loadCorpus } from "./corpus/load.ts";
import { evaluateCase, pct, totals } from "./corpus/evaluate.ts";

const results = loadCorpus().map((c) => evaluateCase(c));
const split = (name: string) => totals(results.filter((r) => r.case.split === name));

Deno.test("corpus: at least 40 cases, 12 held out, 5 languages", () => {
  assert.ok(results.length >= 40);
  assert.ok(results.filter((r) => r.case.split === "heldout").length >= 12);
  assert.ok(new Set(results.map((r) => r.case.lang)).size >= 5);
});

Deno.test("corpus: tuning split floors", () => {
  const t = split("tuning");
  const missed = results.filter((r) => r.case.split === "tuning" && r.missedFacts.length > 0)
    .map((r) => `${r.case.file}: ${r.missedFacts.join(" | ")}`);
  assert.equal(t.factsKept, t.facts, missed.join("\n"));
  // Measured 99.1 % (229 of 231) and 100 % (25 of 25).
  assert.ok(pct(t.junkDropped, t.junk) >= 98);
  assert.ok(pct(t.irrelevantDropped, t.irrelevant) >= 95);
  assert.equal(t.abstainCorrect, t.cases);
});

Deno.test("corpus: held-out split floors", () => {
  const t = split("heldout");
  // Measured 100 / 100 / 90.0 / 100 % (35 facts, 117 junk lines, 10 irrelevant sources) after
  // the second round of features (notes/rag.md); the floors allow one more missed fact and two
  // more kept junk lines (irrelevant sources: as before).
  assert.ok(pct(t.factsKept, t.facts) >= 97);
  assert.ok(pct(t.junkDropped, t.junk) >= 98);
  assert.ok(pct(t.irrelevantDropped, t.irrelevant) >= 90);
  assert.equal(t.abstainCorrect, t.cases);
});

Deno.test("corpus: blind split floors", () => {
  const t = split("blind");
  // Measured 95.1 / 96.0 / 83.3 / 97.0 % (589 junk lines, 100 facts, 42 irrelevant sources, 33
  // cases) after round 3 (notes/rag.md); the floors allow two more missed facts, about ten more
  // kept junk lines, one more kept irrelevant source and one more wrong abstain. Round 4
  // measured 95.2 / 96.0 / 85.7 / 97.0 %: the irrelevant floor rose with it (one source spare).
  assert.ok(t.cases >= 33);
  assert.ok(pct(t.factsKept, t.facts) >= 94);
  assert.ok(pct(t.junkDropped, t.junk) >= 93);
  assert.ok(pct(t.irrelevantDropped, t.irrelevant) >= 83);
  assert.ok(t.abstainCorrect >= t.cases - 2);
});

Deno.test("corpus: development split floors", async (t) => {
  // Measured after round 6 (notes/rag.md), junk / facts: final 96.7 / 93.2, final2 92.9 / 91.9,
  // final3 96.1 / 86.6, final4 95.6 / 96.7, final5 91.6 / 97.1, final7 94.3 / 97.0, final8 95.0 /
  // 89.4. The floors allow about two more missed facts and five more kept junk lines per split.
  // final6, final9 and final10 have none: they are measured only as a whole.
  const floors: [string, number, number][] = [
    ["final", 95.5, 91],
    ["final2", 91.5, 89],
    ["final3", 95, 84],
    ["final4", 94.5, 93],
    ["final5", 90, 94],
    ["final7", 93, 94],
    ["final8", 94, 86],
  ];
  for (const [name, junk, facts] of floors) {
    await t.step(`${name}: junk ≥ ${junk} %, facts ≥ ${facts} %`, () => {
      const s = split(name);
      assert.ok(pct(s.junkDropped, s.junk) >= junk, `junk ${pct(s.junkDropped, s.junk)}`);
      assert.ok(pct(s.factsKept, s.facts) >= facts, `facts ${pct(s.factsKept, s.facts)}`);
    });
  }
  // Irrelevant sources and abstains over all of them: 154 of 302 sources dropped (51.0 %), 211
  // of 247 cases right. The floors allow about six more kept sources and three more wrong cases.
  const all = totals(results.filter((r) => floors.some(([name]) => name === r.case.split)));
  await t.step("irrelevant sources ≥ 49 %, abstains right ≥ 208", () => {
    assert.ok(pct(all.irrelevantDropped, all.irrelevant) >= 49);
    assert.ok(all.abstainCorrect >= 208);
  });
});
