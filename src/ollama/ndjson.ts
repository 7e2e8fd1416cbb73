/**
 * Newline-delimited JSON as Ollama streams it: one JSON object per line and nothing else (no
 * keep-alives: the format has no comments). A source that throws ends the stream with an
 * `{"error": …}` line. Built on the shared streaming body (src/http/stream_body.ts).
 */
import { streamResponse } from "../http/stream_body.ts";

const encoder = new TextEncoder();

export const NDJSON_HEADERS = {
  "Content-Type": "application/x-ndjson",
  "Cache-Control": "no-cache",
  "X-Accel-Buffering": "no",
} as const;

export function ndjsonLine(value: unknown): Uint8Array {
  return encoder.encode(`${JSON.stringify(value)}\n`);
}

export interface NdjsonOptions {
  headers?: Record<string, string>;
  /** Called once when the client disconnects before the source ended. */
  onCancel?: () => void;
}

/** `source` yields the objects to send, one line each. */
export function ndjsonResponse(
  source: AsyncGenerator<unknown>,
  opts: NdjsonOptions = {},
): Response {
  return streamResponse(source, {
    frame: ndjsonLine,
    errorFrame: (message) => ndjsonLine({ error: message }),
    headers: { ...NDJSON_HEADERS, ...opts.headers },
    onCancel: opts.onCancel,
  });
}
