/**
 * Newline-delimited JSON framing over a pull-based ReadableStream, as Ollama streams: one JSON
 * object per line, nothing else (no keep-alives: the format has no comments). The source's
 * `return()` is called when the client goes away, so the generation behind it is aborted and
 * its NPU lease freed. A source that throws ends the stream with an `{"error": …}` line.
 */

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
  /** The source ended or failed, or the client left: nothing more is written. */
  let finished = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let line: Uint8Array | null;
      try {
        const next = await source.next();
        line = next.done ? null : ndjsonLine(next.value);
      } catch (err) {
        if (finished) return;
        finished = true;
        const message = err instanceof Error ? err.message : String(err);
        controller.enqueue(ndjsonLine({ error: message }));
        controller.close();
        return;
      }
      if (finished) return;
      if (line === null) {
        finished = true;
        controller.close();
      } else {
        controller.enqueue(line);
      }
    },
    async cancel() {
      if (finished) return;
      finished = true;
      opts.onCancel?.();
      await source.return(undefined);
    },
  });
  return new Response(body, { headers: { ...NDJSON_HEADERS, ...opts.headers } });
}
