/**
 * Server-sent events: `data: <payload>\n\n` per event and SSE comments as keep-alives while the
 * source is quiet, over the shared streaming body (`stream_body.ts`).
 */
import { streamResponse } from "./stream_body.ts";

const encoder = new TextEncoder();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

export interface SseOptions {
  /** Comment interval while no event is written; 0 disables keep-alives. */
  keepAliveMs: number;
  headers?: Record<string, string>;
  /** Called once when the client disconnects before the source ended. */
  onCancel?: () => void;
}

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
} as const;

export function sseFrame(payload: string): Uint8Array {
  return encoder.encode(`data: ${payload}\n\n`);
}

/** `source` yields ready-made payloads (JSON text, or `[DONE]`). */
export function sseResponse(source: AsyncGenerator<string>, opts: SseOptions): Response {
  return streamResponse(source, {
    frame: sseFrame,
    keepAlive: { everyMs: opts.keepAliveMs, frame: KEEP_ALIVE },
    headers: { ...SSE_HEADERS, ...opts.headers },
    onCancel: opts.onCancel,
  });
}
