/**
 * Server-sent events framing over a pull-based ReadableStream: `data: <payload>\n\n` per event,
 * SSE comments as keep-alives while the source is quiet, and the source's `return()` called
 * when the client goes away (so the generation behind it is aborted and its NPU lease freed).
 */

const encoder = new TextEncoder();

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
  let lastWrite = performance.now();
  let timer: ReturnType<typeof setInterval> | undefined;
  let finished = false;
  const stop = (): void => {
    finished = true;
    if (timer !== undefined) clearInterval(timer);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (opts.keepAliveMs > 0) {
        timer = setInterval(() => {
          if (finished || performance.now() - lastWrite < opts.keepAliveMs) return;
          lastWrite = performance.now();
          try {
            controller.enqueue(encoder.encode(": keep-alive\n\n"));
          } catch {
            stop();
          }
        }, Math.max(10, opts.keepAliveMs / 2));
      }
    },
    async pull(controller) {
      try {
        const next = await source.next();
        if (next.done) {
          stop();
          controller.close();
          return;
        }
        lastWrite = performance.now();
        controller.enqueue(sseFrame(next.value));
      } catch (err) {
        stop();
        controller.error(err);
      }
    },
    async cancel() {
      if (finished) return;
      stop();
      opts.onCancel?.();
      await source.return(undefined);
    },
  });
  return new Response(body, { headers: { ...SSE_HEADERS, ...opts.headers } });
}
