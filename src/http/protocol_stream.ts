/**
 * One generation streamed in any protocol's framing: leading frames, one frame per delta, the
 * closing frames on `done`; a failure after the headers becomes one error frame; trailing frames
 * (SSE's `[DONE]`) always end it. A client that leaves cancels the generation, and its expected
 * interruption is not logged as a failure. The same module owns the `X-RKLLM-Ignored-Params`
 * header (and its log line), streamed or not. OpenAI's SSE and Ollama's NDJSON both use it; the
 * routes only render frames.
 */
import type { ChatEvent, ChatGeneration } from "../engine/types.ts";
import type { Logger } from "../log.ts";
import { type HttpError, httpError } from "./errors.ts";
import { streamResponse } from "./stream_body.ts";

export type DeltaEvent = Exclude<ChatEvent, { type: "done" } | { type: "error" }>;
export type DoneEvent = Extract<ChatEvent, { type: "done" }>;

/** How a protocol renders a generation, frame by frame. */
export interface FrameRenderer<T> {
  /** Sent before the first event (role chunk, echoed prompt). */
  leading?: T[];
  /** A delta's frame; null when the protocol has nothing to send for it. */
  delta(event: DeltaEvent): T | null;
  /** The closing frames (finish reason, usage, stats). */
  done(event: DoneEvent): T[];
  error(e: HttpError): T;
  /** Sent last, after `done` or an error (SSE's `[DONE]`). */
  trailing?: T[];
}

/** The wire format: how one frame is written, and its headers. */
export interface Framing<T> {
  frame(value: T): Uint8Array;
  headers: Record<string, string>;
  keepAlive?: { everyMs: number; frame: Uint8Array };
}

export interface ProtocolStreamOptions {
  log: Logger;
  /** Log component ("chat", "completions", "ollama"). */
  component: string;
  headers?: Record<string, string>;
  /** Called for every delta (Ollama times its phases with it). */
  onDelta?: () => void;
  /** Cut off a client that stops reading for this long (ms; absent: no limit). */
  writeStallMs?: number;
}

export function protocolStream<T>(
  gen: ChatGeneration,
  render: FrameRenderer<T>,
  framing: Framing<T>,
  opts: ProtocolStreamOptions,
): Response {
  let disconnected = false;
  const failed = (err: unknown): T => {
    const e = httpError(err);
    if (!disconnected) {
      opts.log.warn(opts.component, "stream ended with an error", {
        id: gen.requestId,
        error: e.error.message,
      });
    }
    return render.error(e);
  };
  async function* frames(): AsyncGenerator<T> {
    yield* render.leading ?? [];
    try {
      let ended = false;
      for await (const event of gen.events) {
        if (event.type === "error") {
          yield failed(event.error);
          ended = true;
          break;
        }
        if (event.type === "done") {
          yield* render.done(event);
          ended = true;
          break;
        }
        opts.onDelta?.();
        const frame = render.delta(event);
        if (frame !== null) yield frame;
      }
      if (!ended) yield failed(new Error("generation ended without a result"));
    } catch (err) {
      yield failed(err);
    }
    yield* render.trailing ?? [];
  }
  return streamResponse(frames(), {
    frame: framing.frame,
    keepAlive: framing.keepAlive,
    headers: { ...framing.headers, ...opts.headers },
    stallMs: opts.writeStallMs,
    onCancel: () => {
      disconnected = true;
      opts.log.info(opts.component, "client disconnected", { id: gen.requestId });
      gen.cancel();
    },
  });
}

/**
 * The header naming request parameters the runtime could not apply (the engine's and the
 * protocol layer's), logged once per request.
 */
export function ignoredParamsHeader(
  gen: ChatGeneration,
  extra: readonly string[],
  log: Logger,
  component: string,
): Record<string, string> {
  const ignored = [...gen.ignoredParams, ...extra];
  if (!ignored.length) return {};
  log.info(component, "request parameters not applied", {
    id: gen.requestId,
    params: ignored.join(","),
  });
  return { "X-RKLLM-Ignored-Params": ignored.join(", ") };
}
