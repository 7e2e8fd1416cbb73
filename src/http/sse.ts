/**
 * Server-sent events: `data: <payload>\n\n` per event and SSE comments as keep-alives while the
 * source is quiet, as the framing of a protocol stream (`protocol_stream.ts`).
 */
import type { Framing } from "./protocol_stream.ts";

const encoder = new TextEncoder();
const KEEP_ALIVE = encoder.encode(": keep-alive\n\n");

export const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
} as const;

export function sseFrame(payload: string): Uint8Array {
  return encoder.encode(`data: ${payload}\n\n`);
}

/** SSE as a protocol stream's framing: payloads (JSON text, `[DONE]`) and keep-alive comments. */
export function sseFraming(keepAliveMs: number): Framing<string> {
  return {
    frame: sseFrame,
    headers: { ...SSE_HEADERS },
    keepAlive: { everyMs: keepAliveMs, frame: KEEP_ALIVE },
  };
}
