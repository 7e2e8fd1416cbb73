/**
 * The RAG path on adversarial requests (issue 13 finding 10): each input is built to make a
 * backtracking regex or a pairwise loop blow up, and the test asserts the result is still the
 * right one. How long each takes is printed by `deno task bench:rag`, not asserted here.
 */
import assert from "node:assert/strict";
import { detectRag } from "../../src/rag/detect.ts";
import { planRag, type RagPlan } from "../../src/rag/pipeline.ts";
import {
  endlessTag,
  FACT,
  hundredThousandLines,
  punctuationQuestion,
  repeatedPhrase,
  repeatedPhraseWithHeader,
  unclosedSources,
} from "./adversarial_inputs.ts";

const OPTS = { contextTokens: 4096, answerTokens: 1024 };

function asRag(plan: RagPlan): Extract<RagPlan, { kind: "rag" }> {
  assert.equal(plan.kind, "rag");
  return plan as Extract<RagPlan, { kind: "rag" }>;
}

Deno.test("a 700 KB system prompt of one repeated phrase without a colon is not RAG", () => {
  const messages = repeatedPhrase();
  assert.equal(detectRag(messages), null);
  assert.equal(planRag(messages, OPTS).kind, "none");
});

Deno.test("the same prompt with a reference header at its end is RAG with the fact kept", () => {
  const messages = repeatedPhraseWithHeader();
  const rag = detectRag(messages);
  assert.equal(rag?.placement, "system");
  assert.deepEqual(rag?.sources.map((s) => s.text), [FACT]);
  const plan = asRag(planRag(messages, OPTS));
  assert.deepEqual(plan.pack.kept.map((k) => k.text), [FACT]);
});

Deno.test("1 MB of <source tags that never close is not RAG", async (t) => {
  for (
    const [name, build] of [["unclosed elements", unclosedSources], [
      "an endless tag",
      endlessTag,
    ]] as const
  ) {
    await t.step(name, () => {
      const messages = build();
      assert.equal(detectRag(messages), null);
      assert.equal(planRag(messages, OPTS).kind, "none");
    });
  }
});

Deno.test("a source of 100,000 lines keeps the fact under its id", () => {
  const messages = hundredThousandLines();
  const plan = asRag(planRag(messages, OPTS));
  assert.deepEqual(plan.pack.kept[0], {
    sourceId: "7",
    text: FACT,
    score: plan.pack.kept[0].score,
  });
  assert.ok(plan.pack.charsBefore > 4_000_000);
  assert.ok(plan.pack.charsAfter <= 9_000);
});

Deno.test("a 700 KB question of punctuation names nothing: no results", () => {
  assert.equal(planRag(punctuationQuestion(), OPTS).kind, "no_results");
});
