/**
 * The session benchmark's bookkeeping: the mock runtime's call log and the steps the client
 * played → NPU time at board speed, the minimum the session's new tokens need, cache resets,
 * cold starts and follow-up outcomes. The server is a black box here: every figure comes from
 * what crossed the runtime's ABI (the mock's `run_start`/`run_end` lines) and what came back
 * over HTTP.
 *
 * Pure: no Deno APIs, no clock. Imports only the mock-log line type.
 */
import type { MockLogLine } from "../support/mock.ts";

/** Board speed of Qwen3-1.7B on the RK3588 NPU (tokens per second). */
export const BOARD = { prefillPerSecond: 300, decodePerSecond: 14 } as const;

/** Positions the mock gives a text: its UTF-8 bytes / 4, at least 1 (its tokeniser). */
export function mockTokens(text: string): number {
  return Math.max(1, Math.floor(new TextEncoder().encode(text).length / 4));
}

/** NPU seconds at board speed for this much prefill and generation. */
export function boardSeconds(prefilled: number, generated: number): number {
  return prefilled / BOARD.prefillPerSecond + generated / BOARD.decodePerSecond;
}

/** One request the client sent, as the bench recorded it. */
export interface StepRecord {
  label: string;
  kind: "answer" | "task";
  task?: string;
  chat: string;
  /** An answer that is its chat's first (cold by nature; never a reset). */
  firstOfChat: boolean;
  /**
   * Tokens the request brings that nothing has prefilled before: an answer's new user message
   * (with its retrieved context on a web search; with the system prompt on a chat's first
   * answer); a task's instruction without its `<chat_history>` block.
   */
  newPromptTokens: number;
  /** Mock-log lines written before the request was sent. */
  logStart: number;
  /** Wall milliseconds to the first content chunk (streamed answers). */
  ttftMs: number | null;
  /** Wall milliseconds to the end of the response. */
  ms: number;
  /** Items in a task's JSON list (follow_ups, tags, queries); null for others. */
  items: number | null;
  /** What the server's log said it did (diagnostic only). */
  server: string;
}

/** One `rkllm_run` as the mock logged it. */
export interface RunRecord {
  /** Index of the `run_start` line in the log. */
  line: number;
  keepHistory: number;
  kvBefore: number;
  kvAfter: number;
  prefilled: number;
  generated: number;
  result: string;
}

/** Pairs each `run_start` with the `run_end` that follows it (runs never overlap here). */
export function runsOf(log: readonly MockLogLine[]): RunRecord[] {
  const runs: RunRecord[] = [];
  let open: { line: number; start: MockLogLine } | null = null;
  log.forEach((l, line) => {
    if (l.event === "run_start") open = { line, start: l };
    else if (l.event === "run_end" && open) {
      runs.push({
        line: open.line,
        keepHistory: Number(open.start.keep_history ?? 1),
        kvBefore: Number(open.start.kv_len ?? 0),
        kvAfter: Number(l.kv_len ?? 0),
        prefilled: Number(l.prefill_tokens ?? l.prompt_tokens ?? 0),
        generated: Number(l.tokens ?? 0),
        result: String(l.result),
      });
      open = null;
    }
  });
  return runs;
}

/** A step with the runs it caused. */
export interface StepResult extends StepRecord {
  runs: RunRecord[];
  npuSeconds: number;
  /** The step's share of the minimum (null: not part of it). */
  minimumTokens: { prompt: number; generated: number } | null;
  /** Answers: re-prefilled history that had been prefilled before. */
  reset: boolean;
  /** Answers: the run began on an empty KV cache. */
  cold: boolean;
  /** Answers: no run at all (the server replayed an answer it had). */
  replayed: boolean;
  /** Follow-ups: its chat was what the cache held when it was sent. */
  chatCached: boolean;
}

export interface SessionFigures {
  steps: StepResult[];
  calibration: { runs: number; npuSeconds: number };
  npuSeconds: number;
  minimumSeconds: number;
  ratio: number;
  prefilled: number;
  newPromptTokens: number;
  generated: number;
  answers: number;
  replayed: number;
  firstTurns: number;
  cold: number;
  resets: number;
  followUps: { sent: number; cached: number; byModel: number; nonEmpty: number };
}

/**
 * A turn whose prefill exceeds its new tokens by more than this re-read history. Any earlier
 * exchange is far longer (an answer alone is 60+ tokens); template tokens are far fewer.
 */
export const RESET_SLACK = 32;

/** Attributes the runs to the steps (by where their `run_start` falls) and sums them up. */
export function account(steps: readonly StepRecord[], log: readonly MockLogLine[]): SessionFigures {
  const runs = runsOf(log);
  const results: StepResult[] = steps.map((s, i) => {
    const end = steps[i + 1]?.logStart ?? Infinity;
    const mine = runs.filter((r) => r.line >= s.logStart && r.line < end);
    return {
      ...s,
      runs: mine,
      npuSeconds: 0,
      minimumTokens: null,
      reset: false,
      cold: false,
      replayed: false,
      chatCached: false,
    };
  });
  // The first request loads the model, and the server measures the runtime before answering.
  const calibrationRuns = results[0]?.runs.slice(0, -1) ?? [];
  if (results[0]) results[0].runs = results[0].runs.slice(-1);
  const seconds = (rs: readonly RunRecord[]) =>
    rs.reduce((n, r) => n + boardSeconds(r.prefilled, r.generated), 0);

  results.forEach((r, i) => {
    r.npuSeconds = seconds(r.runs);
    const run = r.runs.at(-1);
    if (r.kind === "answer") {
      r.replayed = !run;
      if (run) {
        r.minimumTokens = { prompt: r.newPromptTokens, generated: run.generated };
        r.cold = run.kvBefore === 0;
        r.reset = !r.firstOfChat && run.prefilled > r.newPromptTokens + RESET_SLACK;
      }
    } else if (r.task === "follow_ups") {
      r.chatCached = cachedAfter(results[i - 1], log, r.logStart);
      if (run && run.result !== "error") {
        r.minimumTokens = { prompt: r.newPromptTokens, generated: run.generated };
      }
    }
  });

  const all = results.flatMap((r) => r.runs);
  const minimum = results.flatMap((r) => (r.minimumTokens ? [r.minimumTokens] : []));
  const minPrompt = minimum.reduce((n, m) => n + m.prompt, 0);
  const minGenerated = minimum.reduce((n, m) => n + m.generated, 0);
  const npuSeconds = seconds(all);
  const minimumSeconds = boardSeconds(minPrompt, minGenerated);
  const answers = results.filter((r) => r.kind === "answer");
  const followUps = results.filter((r) => r.task === "follow_ups");
  return {
    steps: results,
    calibration: { runs: calibrationRuns.length, npuSeconds: seconds(calibrationRuns) },
    npuSeconds,
    minimumSeconds,
    ratio: minimumSeconds > 0 ? npuSeconds / minimumSeconds : NaN,
    prefilled: all.reduce((n, r) => n + r.prefilled, 0),
    newPromptTokens: minPrompt,
    generated: all.reduce((n, r) => n + r.generated, 0),
    answers: answers.length,
    replayed: answers.filter((r) => r.replayed).length,
    firstTurns: answers.filter((r) => r.firstOfChat && !r.replayed).length,
    cold: answers.filter((r) => r.cold).length,
    resets: answers.filter((r) => r.reset).length,
    followUps: {
      sent: followUps.length,
      cached: followUps.filter((r) => r.chatCached).length,
      byModel: followUps.filter((r) => r.minimumTokens).length,
      nonEmpty: followUps.filter((r) => (r.items ?? 0) > 0).length,
    },
  };
}

/**
 * Whether the runtime held `answer`'s chat at log line `at`: the answer ran to its end with
 * keep_history=1, nothing ran after it, and the last cache size logged before `at` is not 0.
 */
function cachedAfter(
  answer: StepResult | undefined,
  log: readonly MockLogLine[],
  at: number,
): boolean {
  const run = answer?.kind === "answer" ? answer.runs.at(-1) : undefined;
  if (!run || run.result !== "finish" || run.keepHistory !== 1) return false;
  for (let i = at - 1; i > run.line; i--) {
    const l = log[i];
    if (l.event === "run_start") return false;
    if (typeof l.kv_len === "number") return l.kv_len > 0;
  }
  return run.kvAfter > 0;
}
