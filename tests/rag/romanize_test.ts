/** Tests for src/rag/romanize.ts: Latin spellings of other alphabets, squashed for comparing. */
import assert from "node:assert/strict";
import { romanize, squash } from "../../src/rag/romanize.ts";

Deno.test("romanize() writes Cyrillic, Greek, Georgian and Armenian words in Latin", async (t) => {
  const rows: [string, string, string | null][] = [
    ["Russian", "Речной", "rechnoy"],
    ["Ukrainian", "Київ", "kiiv"],
    ["Greek, accents folded", "Θεσσαλονίκη", "thessaloniki"],
    ["Georgian", "პითონი", "pitoni"],
    ["Armenian, with its ու", "Երևանում", "erevanum"],
    ["Latin stays null", "Lenggries", null],
    ["Han stays null", "上海", null],
  ];
  for (const [name, word, expected] of rows) {
    await t.step(`romanize(): ${name}`, () => assert.equal(romanize(word), expected));
  }
});

Deno.test("squash() takes out what romanization schemes disagree on", () => {
  assert.equal(squash("rechnoy"), squash("rechnoj"));
  assert.equal(squash("rechnoy"), squash("rechnoi"));
  assert.equal(squash("tsentr"), squash("centr"));
  assert.equal(squash("khabarovsk"), squash("habarovsk"));
  assert.equal(squash("thessaloniki"), squash("thesaloniki"));
  // č, š, ž fold to c, s, z; Russian schemes write them ch, sh, zh.
  assert.equal(squash("orochena"), squash("orocena"));
  assert.equal(squash("shtednju"), squash("stedniu"));
  assert.notEqual(squash("vokzal"), squash("vokzul"));
});
