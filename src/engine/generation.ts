/**
 * Turns one NPU run into chat events: splits `<think>` reasoning from content, applies stop
 * sequences and the token limit (aborting the run when either hits), enforces the first-token
 * and total timeouts, and computes usage.
 *
 * The run is read to its end at the runtime's pace, whatever the client does: events wait in a
 * buffer (bounded by the token limit), so a client that reads slowly or not at all never holds
 * the NPU; `onEnd` (where the caller records the cache and releases the NPU) runs as soon as the
 * run has settled, and the terminal event follows it. A run that was stopped for any reason but
 * its own stop sequence or token limit never counts as a clean end, even if the runtime reports
 * completion after the abort. A run that does not return within a grace period after an abort
 * is reported as wedged: the NPU cannot be used again by this process.
 */
import { type ThinkPiece, ThinkSplitter } from "../chat/think.ts";
import type { ToolCall } from "../chat/messages.ts";
import { GenerationError, GenerationTimeoutError, RuntimeWedgedError } from "../errors.ts";
import type { NpuEvent, NpuRun, PerfStats } from "../rkllm/npu.ts";
import { StopMatcher } from "./stop_sequences.ts";
import type { ToolCallParser, ToolPiece } from "./tool_calls.ts";
import type { ChatEvent, FinishReason, Usage } from "./types.ts";

export interface GenerationLimits {
  /** Abort after this many tokens with finish_reason "length". */
  maxTokens: number;
  /** The runtime's own cap: a run that produced this many tokens ended by length. */
  runtimeMaxTokens: number;
  stop: readonly string[];
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  /** After an abort, how long the runtime may take to return before it counts as wedged. */
  settleGraceMs: number;
  /** The model opens the think block in its template (output starts inside reasoning). */
  implicitThink: boolean;
  /** Estimated prompt tokens, used when the runtime reports no figures. */
  promptTokensEstimate: number;
  /** Parses `<tool_call>` blocks out of the content when tools are offered. */
  toolCalls?: ToolCallParser;
}

/** How a generation ended, for the KV-cache tracker and logs. */
export interface GenerationOutcome {
  /** The runtime reported completion of a run nobody stopped: its cache holds prompt + reply. */
  clean: boolean;
  /** The run was paused on purpose (`pauseWhen`): the cache holds prompt + what was generated. */
  paused: boolean;
  /** The run did not return after an abort: the runtime is stuck. */
  wedged: boolean;
  /** Everything the model produced (reasoning tags included). */
  rawText: string;
  /** The visible content as it was produced for the client. */
  content: string;
  /** The reasoning as it was produced for the client. */
  reasoning: string;
  toolCalls: ToolCall[];
  /** Tokens the runtime delivered (callbacks with text). */
  tokens: number;
  perf: PerfStats | null;
  finishReason: FinishReason | null;
  error: Error | null;
  /** Why the run was stopped early, if it was. */
  stopped: StopCause | null;
  /** What the runtime reported as a failure, if it did. */
  runtimeError: string | null;
}

/** Why a run was aborted. */
export type StopCause =
  | "stop"
  | "length"
  | "first_token_timeout"
  | "timeout"
  | "client"
  | "shutdown";

export interface Generation {
  events: AsyncIterable<ChatEvent>;
  /** Stops the run because the client left; `onEnd` still runs. */
  cancel(): void;
  /** Stops the run because the server is shutting down. */
  interrupt(): void;
}

/** A buffer of events read by one consumer; its `return()` tells the producer it left. */
class EventBuffer {
  #items: ChatEvent[] = [];
  #closed = false;
  #wake: (() => void) | null = null;
  readonly #onLeave: () => void;

  constructor(onLeave: () => void) {
    this.#onLeave = onLeave;
  }

  push(event: ChatEvent): void {
    this.#items.push(event);
    this.#wake?.();
  }

  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  /** The terminal event is in: the run has settled and its `onEnd` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  async *iterate(): AsyncGenerator<ChatEvent> {
    let finished = false;
    try {
      while (true) {
        if (this.#items.length) {
          yield this.#items.shift()!;
          continue;
        }
        if (this.#closed) {
          finished = true;
          return;
        }
        await new Promise<void>((resolve) => this.#wake = resolve);
        this.#wake = null;
      }
    } finally {
      if (!finished) this.#onLeave();
    }
  }
}

export function startGeneration(
  run: NpuRun,
  limits: GenerationLimits,
  /** Runs once the run has settled, before the terminal event (the caller releases the NPU). */
  onEnd: (outcome: GenerationOutcome) => void | Promise<void>,
): Generation {
  let stopped: StopCause | null = null;
  /** Resolves `settleGraceMs` after the first abort: a run still going then is wedged. */
  const graceOver = Promise.withResolvers<void>();
  let graceTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (cause: StopCause): void => {
    // A reader that leaves after the terminal event (every route stops at `done`) leaves nothing
    // to stop; a grace timer armed now would keep this generation's state alive for nothing.
    if (buffer.closed) return;
    if (stopped === null) {
      stopped = cause;
      graceTimer = setTimeout(graceOver.resolve, limits.settleGraceMs);
    }
    run.abort();
  };
  const buffer = new EventBuffer(() => stop("client"));
  void pump(run, limits, buffer, () => stopped, stop, graceOver.promise, onEnd)
    .finally(() => clearTimeout(graceTimer));
  return {
    events: buffer.iterate(),
    cancel: () => stop("client"),
    interrupt: () => stop("shutdown"),
  };
}

async function pump(
  run: NpuRun,
  limits: GenerationLimits,
  out: EventBuffer,
  stoppedBy: () => StopCause | null,
  stop: (cause: StopCause) => void,
  graceOver: Promise<void>,
  onEnd: (outcome: GenerationOutcome) => void | Promise<void>,
): Promise<void> {
  const think = new ThinkSplitter({ implicitOpen: limits.implicitThink });
  const stops = new StopMatcher(limits.stop);
  const outcome: GenerationOutcome = {
    clean: false,
    paused: false,
    wedged: false,
    rawText: "",
    content: "",
    reasoning: "",
    toolCalls: [],
    tokens: 0,
    perf: null,
    finishReason: null,
    error: null,
    stopped: null,
    runtimeError: null,
  };
  let finished = false;
  /** Tokens that went into the answer (not those the runtime sent after a stop or the limit). */
  let answerTokens = 0;
  const firstTimer = setTimeout(() => stop("first_token_timeout"), limits.firstTokenTimeoutMs);
  const totalTimer = setTimeout(() => stop("timeout"), limits.totalTimeoutMs);
  /** Stop sequences and the token limit end the answer itself: text after them is dropped. */
  const answerEnded = (): boolean => stoppedBy() === "stop" || stoppedBy() === "length";

  const content = (parts: readonly ToolPiece[]): void => {
    for (const part of parts) {
      if (answerEnded()) return;
      if (part.kind === "call") {
        outcome.toolCalls.push(part.call);
        out.push({ type: "tool_calls", calls: [part.call] });
        continue;
      }
      const { text, stopped } = stops.push(part.text);
      if (text) {
        outcome.content += text;
        out.push({ type: "content", text });
      }
      if (stopped) stop("stop");
    }
  };
  const split = (pieces: readonly ThinkPiece[]): void => {
    for (const piece of pieces) {
      if (piece.kind === "reasoning") {
        outcome.reasoning += piece.text;
        out.push({ type: "reasoning", text: piece.text });
      } else {
        content(
          limits.toolCalls
            ? limits.toolCalls.push(piece.text)
            : [{ kind: "content", text: piece.text }],
        );
      }
    }
  };
  const take = (event: NpuEvent): void => {
    if (event.type === "text") {
      if (outcome.tokens === 0) clearTimeout(firstTimer);
      outcome.tokens++;
      outcome.rawText += event.text;
      // After any other stop the text still counts: the cache holds it, and a reader may read it.
      if (answerEnded()) return;
      answerTokens++;
      split(think.push(event.text));
      if (outcome.tokens >= limits.maxTokens) stop("length");
    } else if (event.type === "finish") {
      outcome.perf = event.perf;
      finished = true;
    } else if (event.type === "paused") {
      outcome.paused = true;
    } else if (event.type === "error") {
      outcome.runtimeError = event.message;
    }
  };

  const reader = run.events.getReader();
  // A run still going when the grace after its abort is over will never end its stream: stop
  // reading it then (one handler, not a race per token).
  let reading = true;
  void graceOver.then(() => {
    if (!reading) return;
    outcome.wedged = true;
    reader.cancel().catch(() => {});
  });
  try {
    while (true) {
      const next = await reader.read();
      if (next.done || outcome.wedged) break;
      take(next.value);
    }
  } catch (err) {
    outcome.runtimeError ??= (err as Error).message;
  } finally {
    reading = false;
    reader.releaseLock();
  }
  clearTimeout(firstTimer);
  clearTimeout(totalTimer);
  if (!outcome.wedged) {
    outcome.wedged = await Promise.race([
      run.settled.then(() => false),
      graceOver.then(() => true),
    ]);
  }
  if (outcome.wedged) {
    outcome.error = new RuntimeWedgedError(
      `The NPU runtime did not return within ${limits.settleGraceMs / 1000}s of an abort.`,
    );
  }
  outcome.stopped = stoppedBy();
  outcome.clean = finished && outcome.stopped === null && outcome.runtimeError === null;
  outcome.error ??= failure(outcome, outcome.runtimeError, limits);
  if (!outcome.error) finishAnswer(outcome, think, stops, limits, split, content, out);
  await onEnd(outcome);
  if (outcome.error) out.push({ type: "error", error: outcome.error });
  else out.push(doneEvent(outcome, limits, answerTokens));
  out.close();
}

/** The error a run ended with, if any (a cut answer is not an error). */
function failure(
  outcome: GenerationOutcome,
  runtimeError: string | null,
  limits: GenerationLimits,
): Error | null {
  if (runtimeError !== null) {
    return new GenerationError(`The NPU runtime reported an error: ${runtimeError}`);
  }
  switch (outcome.stopped) {
    case "first_token_timeout":
      return new GenerationTimeoutError(
        `No token within ${
          limits.firstTokenTimeoutMs / 1000
        }s (prefill too slow or runtime stuck); the run was aborted.`,
      );
    case "timeout":
      return outcome.tokens === 0
        ? new GenerationTimeoutError(
          `Generation exceeded ${limits.totalTimeoutMs / 1000}s; the run was aborted.`,
        )
        : null;
    case "shutdown":
      return new GenerationError(
        "The generation was interrupted before it finished (the server is shutting down).",
      );
    case "client":
      return new GenerationError("The generation was abandoned by the client.");
    default:
      return null;
  }
}

/** Flushes what the splitters held back (unless the answer was cut) and sets the finish. */
function finishAnswer(
  outcome: GenerationOutcome,
  think: ThinkSplitter,
  stops: StopMatcher,
  limits: GenerationLimits,
  split: (pieces: readonly ThinkPiece[]) => void,
  content: (parts: readonly ToolPiece[]) => void,
  out: EventBuffer,
): void {
  if (outcome.stopped !== "stop" && outcome.stopped !== "length") {
    split(think.flush());
    content(limits.toolCalls?.flush() ?? []);
    const rest = stops.flush();
    if (rest) {
      outcome.content += rest;
      out.push({ type: "content", text: rest });
    }
  }
  const perf = outcome.perf;
  outcome.finishReason = outcome.stopped === "stop"
    ? "stop"
    // A total timeout that cut a started answer: the answer is incomplete, as at a token limit.
    : outcome.stopped === "length" || outcome.stopped === "timeout"
    ? "length"
    : outcome.toolCalls.length
    ? "tool_calls"
    : perf && perf.generateTokens >= limits.runtimeMaxTokens
    ? "length"
    : "stop";
}

function doneEvent(
  outcome: GenerationOutcome,
  limits: GenerationLimits,
  answerTokens: number,
): ChatEvent {
  const perf = outcome.perf;
  const completionTokens = perf && outcome.stopped === null ? perf.generateTokens : answerTokens;
  const promptTokens = perf ? perf.prefillTokens : limits.promptTokensEstimate;
  const usage: Usage = {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
  };
  return { type: "done", finishReason: outcome.finishReason!, usage };
}
