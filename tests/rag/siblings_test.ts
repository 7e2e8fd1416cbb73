/** Tests for src/rag/siblings.ts: pages of one site told apart by their addresses. */
import assert from "node:assert/strict";
import type { RagSource } from "../../src/rag/detect.ts";
import { offSubjectSiblings } from "../../src/rag/siblings.ts";
import { queryTerms } from "../../src/rag/select.ts";

const at = (id: string, name: string | null): RagSource => ({ id, name, text: "" });

Deno.test("offSubjectSiblings() drops a sibling whose own address words name nothing asked", async (t) => {
  const q = "application deadline msc data science northbridge uni international students";
  const rows: [string, string, RagSource[], string[]][] = [
    ["the site's other section", q, [
      at("1", "https://www.northbridge.ac.uk/study/postgraduate/msc-data-science"),
      at("2", "https://northbridge.ac.uk/accommodation/postgraduate"),
    ], ["2"]],
    ["the other model in a forum", "gdzie jest filtr kabinowy w skodzie fabi 3", [
      at("1", "https://forum.example.pl/temat/fabia-iii-filtr-kabinowy-wymiana"),
      at("2", "https://forum.example.pl/temat/octavia-ii-gdzie-filtr-kabinowy"),
    ], ["2"]],
    ["a wiki's underscores part words", "le phare de Kerbrennec fait combien de mètres ?", [
      at("1", "https://fr.wikipedia.org/wiki/Phare_de_Kerbrennec"),
      at("2", "https://fr.wikipedia.org/wiki/Feu_du_Petit_Kerbrennec"),
    ], ["2"]],
    ["both siblings name the question", "msc data science deadline", [
      at("1", "https://uni.example/msc-data-science"),
      at("2", "https://uni.example/deadline-dates"),
    ], []],
    ["other sites are no siblings", q, [
      at("1", "https://www.northbridge.ac.uk/study/postgraduate/msc-data-science"),
      at("2", "https://rooms.example/accommodation/postgraduate"),
    ], []],
    ["an address of numbers says nothing", q, [
      at("1", "https://www.northbridge.ac.uk/msc-data-science"),
      at("2", "https://www.northbridge.ac.uk/p/2025/48213"),
    ], []],
    ["names that are no addresses", q, [at("1", "msc-data-science.pdf"), at("2", null)], []],
  ];
  for (const [name, question, sources, expected] of rows) {
    await t.step(`offSubjectSiblings(): ${name}`, () => {
      const terms = queryTerms(question, []).map((x) => x.term);
      assert.deepEqual([...offSubjectSiblings(terms, sources)], expected);
    });
  }
});
