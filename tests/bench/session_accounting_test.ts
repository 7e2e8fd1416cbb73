/**
 * The session benchmark's bookkeeping on hand-made mock logs: runs attributed to the request
 * they started under, calibration probes apart, resets, cold starts, replays, follow-ups on a
 * cached chat, and the minimum.
 */
import assert from "node:assert/strict";
import type { MockLogLine } from "../support/mock.ts";
import {
  account,
  boardSeconds,
  mockTokens,
  runsOf,
  type StepRecord,
} from "./session_accounting.ts";

let seq = 0;
function run(
  keep: number,
  kvBefore: number,
  prefilled: number,
  generated: number,
  result = "finish",
): MockLogLine[] {
  const kvAfter = keep === 0 && result === "finish" ? 0 : kvBefore + prefilled + generated;
  return [
    {
      seq: ++seq,
      t_ms: 0,
      fn: "rkllm_run",
      event: "run_start",
      keep_history: keep,
      kv_len: kvBefore,
    },
    {
      seq: ++seq,
      t_ms: 0,
      fn: "rkllm_run",
      event: "run_end",
      result,
      tokens: generated,
      prefill_tokens: prefilled,
      kv_len: kvAfter,
    },
  ];
}
const clear = (): MockLogLine => ({
  seq: ++seq,
  t_ms: 0,
  fn: "rkllm_clear_kv_cache",
  event: "call",
  kv_len: 0,
});

function step(label: string, logStart: number, more: Partial<StepRecord> = {}): StepRecord {
  return {
    label,
    kind: "answer",
    chat: "A",
    firstOfChat: false,
    newPromptTokens: 20,
    logStart,
    ttftMs: 1,
    ms: 1,
    items: null,
    server: "",
    ...more,
  };
}

Deno.test("mockTokens counts UTF-8 bytes / 4, at least 1", () => {
  assert.equal(mockTokens(""), 1);
  assert.equal(mockTokens("abc"), 1);
  assert.equal(mockTokens("abcdefgh"), 2);
  assert.equal(mockTokens("café café"), 2); // 11 bytes
});

Deno.test("runsOf pairs each run_start with the run_end after it", () => {
  const log = [clear(), ...run(1, 0, 50, 10), ...run(0, 60, 30, 5, "pause")];
  assert.deepEqual(runsOf(log).map((r) => [r.line, r.kvBefore, r.prefilled, r.generated]), [
    [1, 0, 50, 10],
    [3, 60, 30, 5],
  ]);
});

Deno.test("account: calibration apart, resets, cold starts, replays and cached follow-ups", () => {
  const log: MockLogLine[] = [
    ...run(1, 0, 9, 1, "pause"), // calibration probe, under the first request
    clear(),
    ...run(1, 0, 70, 100), // 3: A1, cold by nature
    ...run(0, 170, 240, 30, "pause"), // 5: A1 follow-ups on the cached chat
    clear(),
    ...run(1, 170, 20, 100), // 8: A2, incremental
    clear(),
    ...run(1, 0, 400, 100), // 11: A3 re-prefilled its history
    clear(), // 13: the server empties the cache for A3's follow-ups
    ...run(0, 0, 600, 30), // 14: its whole prompt
  ];
  const steps = [
    step("A1", 0, { firstOfChat: true, newPromptTokens: 70 }),
    step("A1 follow-ups", 5, { kind: "task", task: "follow_ups", newPromptTokens: 230 }),
    step("A2", 6),
    step("A3", 10),
    step("A3 follow-ups", 13, { kind: "task", task: "follow_ups", newPromptTokens: 230 }),
    step("C1", 16, { chat: "C", firstOfChat: true }),
    step("C1 follow-ups", 16, { kind: "task", task: "follow_ups", chat: "C" }),
  ];
  const f = account(steps, log);
  assert.equal(f.calibration.runs, 1);
  assert.equal(f.calibration.npuSeconds, boardSeconds(9, 1));
  assert.equal(f.prefilled, 70 + 240 + 20 + 400 + 600);
  assert.equal(f.generated, 100 + 30 + 100 + 100 + 30);
  assert.equal(f.resets, 1, "A3 only: a chat's first turn is no reset");
  assert.equal(f.cold, 2, "A1 and A3");
  assert.equal(f.replayed, 1, "C1 had no run");
  // A3's follow-ups were sent while A3 was cached (the server emptied the cache afterwards);
  // C1's answer was replayed, so the runtime never held chat C.
  assert.deepEqual(f.followUps, { sent: 3, cached: 2, byModel: 2, nonEmpty: 0 });
  // Minimum: answers' new tokens + generated, follow-ups' instructions + generated.
  const prompt = 70 + 20 + 20 + 230 + 230;
  const generated = 100 + 100 + 100 + 30 + 30;
  assert.equal(f.newPromptTokens, prompt);
  assert.equal(f.minimumSeconds, boardSeconds(prompt, generated));
  assert.equal(f.ratio, f.npuSeconds / f.minimumSeconds);
});

Deno.test("account: a follow-up after an aborted answer is not on a cached chat", () => {
  const log = [...run(1, 0, 70, 5, "abort"), ...run(0, 75, 240, 30, "pause")];
  const f = account([
    step("A1", 0, { firstOfChat: true }),
    step("A1 follow-ups", 2, { kind: "task", task: "follow_ups" }),
  ], log);
  assert.equal(f.followUps.cached, 0);
  assert.equal(f.followUps.byModel, 1);
});
