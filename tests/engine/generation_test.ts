/**
 * startGeneration (src/engine/generation.ts) against a scripted NpuRun: what happens once the
 * terminal event has been read. Every route stops reading at `done`; that must not count as the
 * client leaving, or each answer keeps an abort-grace timer (and with it the generation's whole
 * state) alive for the grace period after it ended — found by the soak's 503 storm.
 */
import assert from "node:assert/strict";
import { type GenerationLimits, startGeneration } from "../../src/engine/generation.ts";
import type { NpuEvent, NpuRun } from "../../src/rkllm/npu.ts";

const LIMITS: GenerationLimits = {
  maxTokens: 100,
  runtimeMaxTokens: 100,
  stop: [],
  firstTokenTimeoutMs: 5_000,
  totalTimeoutMs: 5_000,
  settleGraceMs: 5_000,
  implicitThink: false,
  promptTokensEstimate: 3,
};

function finishedRun(): { run: NpuRun; aborts: () => number } {
  let aborts = 0;
  const events: NpuEvent[] = [
    { type: "text", text: "Hello" },
    { type: "text", text: " there" },
    {
      type: "finish",
      perf: { prefillMs: 1, prefillTokens: 3, generateMs: 1, generateTokens: 2, memoryMb: 0 },
    },
  ];
  return {
    run: { events: ReadableStream.from(events), abort: () => aborts++, settled: Promise.resolve() },
    aborts: () => aborts,
  };
}

Deno.test("startGeneration: a reader that stops at `done` does not abort the ended run", async () => {
  const { run, aborts } = finishedRun();
  let outcomeStopped: unknown = "unset";
  const gen = startGeneration(run, LIMITS, (o) => void (outcomeStopped = o.stopped));
  let content = "";
  for await (const event of gen.events) {
    if (event.type === "content") content += event.text;
    if (event.type === "done") {
      assert.equal(event.finishReason, "stop");
      break; // as collectReply and the SSE writers do
    }
  }
  assert.equal(content, "Hello there");
  assert.equal(outcomeStopped, null);
  assert.equal(aborts(), 0, "the run had ended: nothing to abort, no grace timer to arm");
});

Deno.test("startGeneration: cancel() after the end is a no-op", async () => {
  const { run, aborts } = finishedRun();
  const gen = startGeneration(run, LIMITS, () => {});
  for await (const _ of gen.events) {
    // read to the end
  }
  gen.cancel();
  gen.interrupt();
  assert.equal(aborts(), 0);
});
