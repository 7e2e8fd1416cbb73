/** Tests for src/rag/relevance.ts: term matching and BM25 ordering. */
import assert from "node:assert/strict";
import { bm25, hangulStem, inText, termMatch, textFrequency } from "../../src/rag/relevance.ts";
import { words } from "../../src/rag/text.ts";

Deno.test("termMatch() matches words, compound parts and inflections", async (t) => {
  const rows: [string, string, number][] = [
    ["oven", "oven", 1],
    ["apparaat", "koffiezetapparaat", 0.6],
    ["reposar", "reposo", 0.6], // shared prefix "repos": 5 of 6 letters
    ["peso", "pesa", 0], // shared prefix of 3 letters is too short
    ["temps", "température", 0], // 4 letters shared, of a mean length of 8
    ["battery", "batteries", 0.6], // 6 letters shared, of a mean length of 8
    ["ingredientes", "ingrediente", 0.6],
    ["box", "boxes", 0], // too short for a partial match
    ["kostet", "kosten", 0.6],
    ["tower", "power", 0],
    ["fristen", "ansøgningsfrist", 0.6], // a compound's last part, inflected
    ["tagen", "sonntag", 0], // too short a part to tell
    ["kamata", "камата", 1], // a Serbian question in Latin, its bank's page in Cyrillic
    ["orocenu", "орочена", 0.6], // oročenu, folded; ч is written ch or č
    ["пароль", "parol", 1], // and the other way round
    ["thessaloniki", "θεσσαλονικη", 1],
    ["tbilisi", "თბილისი", 1], // Georgian, outside the Greek-to-Armenian block
    ["kamata", "カマタ", 0], // no romanization for kana
  ];
  for (const [a, b, expected] of rows) {
    await t.step(`termMatch("${a}", "${b}") = ${expected}`, () => {
      assert.equal(termMatch(a, b), expected);
    });
  }
});

Deno.test("bm25() ranks the unit that matches more and rarer terms first", () => {
  const texts = [
    "The Eiffel Tower is 330 metres tall.",
    "Paris has many towers and museums.",
    "Tickets cost 36 euros.",
  ];
  const scores = bm25(
    [{ term: "eiffel", weight: 1 }, { term: "tall", weight: 1 }],
    texts.map((text) => ({ words: words(text), text })),
  );
  assert.ok(scores[0] > 0);
  assert.deepEqual(scores.slice(1), [0, 0]);
  const cjk = bm25([{ term: "电池", weight: 1 }], [
    { words: words("电池容量：233mAh"), text: "电池容量：233mAh" },
    { words: words("屏幕：1.62英寸"), text: "屏幕：1.62英寸" },
  ]);
  assert.ok(cjk[0] > 0 && cjk[1] === 0);
});

Deno.test("bm25() still weighs a topic word that every unit contains", () => {
  const texts = [
    "The RK3588 NPU is rated at 6 TOPS.",
    "Qwen3 runs at 14 tokens per second on the NPU.",
    "The NPU shares the board's memory.",
  ];
  const scores = bm25(
    [{ term: "rk3588", weight: 1 }, { term: "npu", weight: 1 }],
    texts.map((text) => ({ words: words(text), text })),
  );
  // Ten units without the terms are assumed: "npu" in all three still counts for something.
  assert.ok(scores[1] > 0.3 * scores[0], JSON.stringify(scores));
  assert.ok(scores[0] > scores[1]);
});

Deno.test("inText(), hangulStem() and textFrequency() match unspaced and Korean terms", async (t) => {
  await t.step("CJK and Korean terms are matched inside the text", () => {
    assert.equal(inText("新幹線"), true);
    assert.equal(inText("배터리"), true);
    assert.equal(inText("battery"), false);
  });
  const stems: [string, string][] = [["시간은", "시간"], ["저장소에도", "저장소"], [
    "원격",
    "원격",
  ]];
  for (const [word, stem] of stems) {
    await t.step(`hangulStem("${word}") = ${stem}`, () => assert.equal(hangulStem(word), stem));
  }
  const rows: [string, string, number][] = [
    ["新幹線", "新幹線で行く新幹線", 2],
    ["시간은", "시간은 8시간", 1 + 0.6], // the whole word once, its stem once more
    ["저장소에도", "원격 저장소에 반영", 0.6],
    ["이름을", "브랜치 변경", 0],
  ];
  for (const [term, text, expected] of rows) {
    await t.step(`textFrequency("${term}", "${text}") = ${expected}`, () => {
      assert.ok(Math.abs(textFrequency(term, text) - expected) < 1e-9);
    });
  }
});

Deno.test("bm25() takes its statistics from the counted units only", () => {
  const units = ["battery life is ten hours", "battery", "battery", "battery"]
    .map((text) => ({ words: words(text), text }));
  const all = bm25([{ term: "battery", weight: 1 }], units);
  const counted = bm25([{ term: "battery", weight: 1 }], units, [true, false, false, false]);
  // Headings that repeat a word do not make it common, nor the units shorter on average.
  assert.ok(counted[0] > all[0]);
});
