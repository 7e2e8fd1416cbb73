/**
 * The OpenAI streaming contract for any generation, over SSE: leading chunks, one chunk per
 * delta, the closing chunks on `done`; a failure after the headers becomes one error chunk; the
 * stream always ends with `data: [DONE]`. A client that leaves cancels the generation (its
 * interruption is then expected and not logged as a failure). The routes only render chunks.
 */
import type { ChatEvent, ChatGeneration } from "../engine/types.ts";
import { toApiError } from "../errors.ts";
import { sseResponse } from "../http/sse.ts";
import type { Logger } from "../log.ts";

type DeltaEvent = Exclude<ChatEvent, { type: "done" } | { type: "error" }>;

export interface ChunkRenderer {
  /** Payloads sent before the first event (role chunk, echoed prompt). */
  leading: string[];
  /** A delta's chunk; null when this endpoint has nothing to send for it. */
  delta(event: DeltaEvent): string | null;
  /** The closing chunks (finish reason, usage). */
  done(event: Extract<ChatEvent, { type: "done" }>): string[];
}

export interface EventStreamDeps {
  log: Logger;
  /** Log component ("chat", "completions"). */
  component: string;
  keepAliveMs: number;
  headers?: Record<string, string>;
}

export function openAiEventStream(
  gen: ChatGeneration,
  render: ChunkRenderer,
  deps: EventStreamDeps,
): Response {
  let disconnected = false;
  async function* payloads(): AsyncGenerator<string> {
    yield* render.leading;
    try {
      for await (const event of gen.events) {
        if (event.type === "error") {
          const err = toApiError(event.error);
          if (!disconnected) {
            deps.log.warn(deps.component, "stream ended with an error", {
              id: gen.requestId,
              error: err.message,
            });
          }
          yield JSON.stringify(err.toBody());
          break;
        }
        if (event.type === "done") {
          yield* render.done(event);
          break;
        }
        const chunk = render.delta(event);
        if (chunk !== null) yield chunk;
      }
    } catch (err) {
      yield JSON.stringify(toApiError(err).toBody());
    }
    yield "[DONE]";
  }
  return sseResponse(payloads(), {
    keepAliveMs: deps.keepAliveMs,
    headers: deps.headers,
    onCancel: () => {
      disconnected = true;
      deps.log.info(deps.component, "client disconnected", { id: gen.requestId });
      gen.cancel();
    },
  });
}
