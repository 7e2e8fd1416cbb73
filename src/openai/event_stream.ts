/**
 * The OpenAI streaming contract for any generation, over SSE: leading chunks, one chunk per
 * delta, the closing chunks on `done`, one error chunk on a failure after the headers, and
 * always `data: [DONE]` last; the shared protocol stream does the rest. The routes only render
 * chunks.
 */
import type { ChatGeneration } from "../engine/types.ts";
import { openAiErrorBody } from "../http/errors.ts";
import { type DeltaEvent, type DoneEvent, protocolStream } from "../http/protocol_stream.ts";
import { sseFraming } from "../http/sse.ts";
import type { Logger } from "../log.ts";

export interface ChunkRenderer {
  /** Payloads sent before the first event (role chunk, echoed prompt). */
  leading: string[];
  /** A delta's chunk; null when this endpoint has nothing to send for it. */
  delta(event: DeltaEvent): string | null;
  /** The closing chunks (finish reason, usage). */
  done(event: DoneEvent): string[];
}

export interface EventStreamDeps {
  log: Logger;
  /** Log component ("chat", "completions"). */
  component: string;
  keepAliveMs: number;
  writeStallMs?: number;
  headers?: Record<string, string>;
}

export function openAiEventStream(
  gen: ChatGeneration,
  render: ChunkRenderer,
  deps: EventStreamDeps,
): Response {
  return protocolStream(
    gen,
    {
      ...render,
      error: (e) => JSON.stringify(openAiErrorBody(e)),
      trailing: ["[DONE]"],
    },
    sseFraming(deps.keepAliveMs),
    deps,
  );
}
