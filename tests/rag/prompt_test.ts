/**
 * Tests for src/rag/prompt.ts: source labels and grouping, the question line, the citation
 * instruction, the abstention sentence, and the no-results notice.
 */
import assert from "node:assert/strict";
import type { KeptParagraph } from "../../src/rag/select.ts";
import { formatSources, noResultsNotice, ragPrompt } from "../../src/rag/prompt.ts";

const k = (sourceId: string, text: string): KeptParagraph => ({ sourceId, text, score: 5 });

Deno.test("formatSources() labels paragraphs with their source id", async (t) => {
  const rows: [string, KeptParagraph[], string][] = [
    ["one paragraph", [k("1", "A.")], "[1] A."],
    ["two sources", [k("1", "A."), k("2", "B.")], "[1] A.\n\n[2] B."],
    ["one source's paragraphs share one label", [k("1", "A."), k("1", "B.")], "[1] A.\nB."],
    [
      "a source seen again later joins its first group",
      [k("2", "A."), k("5", "B."), k("2", "C.")],
      "[2] A.\nC.\n\n[5] B.",
    ],
    ["ids are Open WebUI's, not positions", [k("3", "A.")], "[3] A."],
  ];
  for (const [name, kept, expected] of rows) {
    await t.step(`formatSources(): ${name}`, () => assert.equal(formatSources(kept), expected));
  }
});

Deno.test("ragPrompt() builds the reading-comprehension prompt", async (t) => {
  const kept = [k("1", "The NPU has 6 TOPS."), k("2", "Qwen3 runs at 14 tokens/s.")];

  await t.step("ragPrompt() without thinking: passage, question, citation line", () => {
    assert.equal(
      ragPrompt(kept, "How fast is it?", { thinking: false }),
      "[1] The NPU has 6 TOPS.\n\n[2] Qwen3 runs at 14 tokens/s.\n\n" +
        "Using the sources above, answer this question: How fast is it?\n" +
        "Answer in detail with specific facts and examples. " +
        "Cite the source of each fact by its number in brackets, like [1].",
    );
  });

  await t.step("ragPrompt() with thinking adds the abstention sentence", () => {
    const prompt = ragPrompt(kept, "How fast is it?", { thinking: true });
    assert.ok(prompt.endsWith("like [1]. If the sources do not answer it, say you don't know."));
  });

  const rows: [string, string, string][] = [
    ["a question mark is not followed by a dot", "How fast is it?", "How fast is it?\n"],
    ["a question without punctuation stays as is", "tell me the speed", "tell me the speed\n"],
    ["surrounding whitespace is trimmed", "  How fast?  \n", ": How fast?\n"],
  ];
  for (const [name, question, expected] of rows) {
    await t.step(`ragPrompt(): ${name}`, () => {
      const prompt = ragPrompt(kept, question, { thinking: false });
      assert.ok(prompt.includes(expected), prompt);
      assert.ok(!prompt.includes("?."));
    });
  }

  await t.step("ragPrompt() uses the first kept source id in the citation example", () => {
    assert.match(ragPrompt([k("4", "X.")], "q", { thinking: false }), /like \[4\]\.$/);
  });
});

Deno.test("noResultsNotice() tells the model to say so briefly, then answer anyway", () => {
  const notice = noResultsNotice();
  assert.match(notice, /web search found nothing useful/);
  assert.match(notice, /one sentence/);
  assert.match(notice, /your own knowledge/);
  assert.ok(!notice.includes("\n"));
});
