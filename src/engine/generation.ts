/**
 * Turns one NPU run into chat events: splits `<think>` reasoning from content, applies stop
 * sequences and the token limit (aborting the run when either hits), enforces the first-token
 * and total timeouts, and computes usage. It never reads the clock except through the timers it
 * is given, and it always waits for the run to settle before reporting the end, so the NPU is
 * free when the caller releases it.
 */
import { GenerationError, GenerationTimeoutError } from "../errors.ts";
import type { NpuRun, PerfStats } from "../rkllm/npu.ts";
import { StopMatcher } from "./stop_sequences.ts";
import { type ThinkPiece, ThinkSplitter } from "../chat/think.ts";
import type { ToolCallParser, ToolPiece } from "./tool_calls.ts";
import type { ChatEvent, FinishReason, Usage } from "./types.ts";
import type { ToolCall } from "../chat/messages.ts";

export interface GenerationLimits {
  /** Abort after this many tokens with finish_reason "length". */
  maxTokens: number;
  /** The runtime's own cap: a run that produced this many tokens ended by length. */
  runtimeMaxTokens: number;
  stop: readonly string[];
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  /** The model opens the think block in its template (output starts inside reasoning). */
  implicitThink: boolean;
  /** Estimated prompt tokens, used when the runtime reports no figures. */
  promptTokensEstimate: number;
  /** Parses `<tool_call>` blocks out of the content when tools are offered. */
  toolCalls?: ToolCallParser;
}

/** How a generation ended, for the KV-cache tracker and logs. */
export interface GenerationOutcome {
  /** The runtime reported completion: its KV cache holds prompt + whole reply. */
  clean: boolean;
  /** The run was paused on purpose (`pauseWhen`): the cache holds prompt + what was generated. */
  paused: boolean;
  /** Everything the model produced (reasoning tags included). */
  rawText: string;
  /** The visible content as it was sent to the client. */
  content: string;
  /** The reasoning as it was sent to the client. */
  reasoning: string;
  toolCalls: ToolCall[];
  /** Tokens the runtime delivered (callbacks with text). */
  tokens: number;
  perf: PerfStats | null;
  finishReason: FinishReason | null;
  error: Error | null;
}

export interface Generation {
  events: AsyncGenerator<ChatEvent>;
  /** Stops the run; `onEnd` still runs, whether or not anyone read the events. */
  cancel(): void;
}

/**
 * Starts consuming `run` on demand. An async generator's cleanup only runs once it has been
 * iterated, so a consumer that leaves before reading the first event (a client gone before
 * its first chunk) would never release the NPU: `cancel()` then drains the events itself.
 */
export function startGeneration(
  run: NpuRun,
  limits: GenerationLimits,
  /** Awaited before the generation reports its end (the caller releases the NPU here). */
  onEnd: (outcome: GenerationOutcome) => void | Promise<void>,
): Generation {
  let consumed = false;
  const events = runGeneration(run, limits, onEnd, () => {
    consumed = true;
  });
  return {
    events,
    cancel: () => {
      run.abort();
      if (consumed) return;
      consumed = true;
      void (async () => {
        for await (const _ of events) { /* discard */ }
      })();
    },
  };
}

async function* runGeneration(
  run: NpuRun,
  limits: GenerationLimits,
  onEnd: (outcome: GenerationOutcome) => void | Promise<void>,
  onStart: () => void,
): AsyncGenerator<ChatEvent> {
  onStart();
  const think = new ThinkSplitter({ implicitOpen: limits.implicitThink });
  const stops = new StopMatcher(limits.stop);
  const state: { timedOut: "first" | "total" | null; stoppedBy: FinishReason | null } = {
    timedOut: null,
    stoppedBy: null,
  };
  let tokens = 0;
  const outcome: GenerationOutcome = {
    clean: false,
    paused: false,
    rawText: "",
    content: "",
    reasoning: "",
    toolCalls: [],
    tokens: 0,
    perf: null,
    finishReason: null,
    error: null,
  };
  const firstTimer = setTimeout(() => {
    state.timedOut = "first";
    run.abort();
  }, limits.firstTokenTimeoutMs);
  const totalTimer = setTimeout(() => {
    state.timedOut = "total";
    run.abort();
  }, limits.totalTimeoutMs);

  /** Content after the think split: tool calls taken out, then stop sequences applied. */
  function* content(parts: readonly ToolPiece[]): Generator<ChatEvent> {
    for (const part of parts) {
      if (state.stoppedBy) return;
      if (part.kind === "call") {
        outcome.toolCalls.push(part.call);
        yield { type: "tool_calls", calls: [part.call] };
        continue;
      }
      const { text, stopped } = stops.push(part.text);
      if (text) {
        outcome.content += text;
        yield { type: "content", text };
      }
      if (stopped) {
        state.stoppedBy = "stop";
        run.abort();
      }
    }
  }
  function* split(pieces: readonly ThinkPiece[]): Generator<ChatEvent> {
    for (const piece of pieces) {
      if (piece.kind === "reasoning") {
        outcome.reasoning += piece.text;
        yield { type: "reasoning", text: piece.text };
      } else {
        yield* content(
          limits.toolCalls
            ? limits.toolCalls.push(piece.text)
            : [{ kind: "content", text: piece.text }],
        );
      }
    }
  }

  const reader = run.events.getReader();
  try {
    while (true) {
      const { value: event, done } = await reader.read();
      if (done) break;
      if (event.type === "text") {
        if (tokens === 0) clearTimeout(firstTimer);
        tokens++;
        outcome.rawText += event.text;
        if (state.stoppedBy) continue;
        yield* split(think.push(event.text));
        if (!state.stoppedBy && tokens >= limits.maxTokens) {
          state.stoppedBy = "length";
          run.abort();
        }
      } else if (event.type === "finish") {
        outcome.perf = event.perf;
        outcome.clean = state.stoppedBy === null;
      } else if (event.type === "paused") {
        outcome.paused = true;
      } else if (event.type === "error") {
        outcome.error = new GenerationError(`The NPU runtime reported an error: ${event.message}`);
      } else if (event.type !== "aborted") {
        continue;
      } else if (state.timedOut && !state.stoppedBy) {
        outcome.error = new GenerationTimeoutError(
          state.timedOut === "first"
            ? `No token within ${
              limits.firstTokenTimeoutMs / 1000
            }s (prefill too slow or runtime stuck); the run was aborted.`
            : `Generation exceeded ${limits.totalTimeoutMs / 1000}s; the run was aborted.`,
        );
      } else if (!state.stoppedBy) {
        outcome.error = new GenerationError(
          "The generation was interrupted before it finished (server shutting down or request cancelled).",
        );
      }
    }
    if (!state.stoppedBy && !outcome.error) {
      yield* split(think.flush());
      yield* content(limits.toolCalls?.flush() ?? []);
      const rest = stops.flush();
      if (rest) {
        outcome.content += rest;
        yield { type: "content", text: rest };
      }
    }
    if (outcome.error) {
      yield { type: "error", error: outcome.error };
      return;
    }
    const perf = outcome.perf;
    const finishReason: FinishReason = state.stoppedBy ??
      (outcome.toolCalls.length
        ? "tool_calls"
        : perf && perf.generateTokens >= limits.runtimeMaxTokens
        ? "length"
        : "stop");
    outcome.finishReason = finishReason;
    const completionTokens = perf && !state.stoppedBy ? perf.generateTokens : tokens;
    const promptTokens = perf ? perf.prefillTokens : limits.promptTokensEstimate;
    const usage: Usage = {
      promptTokens,
      completionTokens,
      totalTokens: promptTokens + completionTokens,
    };
    yield { type: "done", finishReason, usage };
  } finally {
    clearTimeout(firstTimer);
    clearTimeout(totalTimer);
    // Reached early when the consumer stops iterating (client gone): stop the NPU, then wait.
    run.abort();
    reader.releaseLock();
    await run.settled;
    outcome.tokens = tokens;
    if (outcome.finishReason === null && !outcome.error) {
      outcome.error = new Error("generation abandoned by the client");
      outcome.clean = false;
    }
    await onEnd(outcome);
  }
}
