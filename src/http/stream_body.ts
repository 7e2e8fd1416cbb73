/**
 * A streamed response body pulled from an async generator, one frame per value: the one
 * mechanism behind SSE and NDJSON. Keep-alive frames go out when nothing was written for a
 * whole interval; when the client goes away the source's `return()` runs, so the generation
 * behind it is aborted and its NPU lease freed; a source that throws ends the body with an
 * error frame (or an errored stream when the format has none).
 */

export interface StreamBodyOptions<T> {
  frame(value: T): Uint8Array;
  keepAlive?: { everyMs: number; frame: Uint8Array };
  errorFrame?(message: string): Uint8Array;
  headers: Record<string, string>;
  /** Called once when the client disconnects before the source ended. */
  onCancel?: () => void;
  /**
   * A client that reads nothing for this long while a frame waits for it is cut off (ms; 0 or
   * absent: no limit), so it cannot hold a connection and its buffer forever.
   */
  stallMs?: number;
}

/** Checks per stall limit: a client is cut off between 1 and 1¼ limits after it stopped. */
const STALL_CHECKS = 4;

export function streamResponse<T>(source: AsyncGenerator<T>, opts: StreamBodyOptions<T>): Response {
  /** The source ended or failed, or the client left: nothing more is written. */
  let finished = false;
  let wrote = false;
  /** When the frame the client has not taken yet was written (0: none waits). */
  let waitingSince = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let watch: ReturnType<typeof setInterval> | undefined;
  const finish = (): void => {
    finished = true;
    clearInterval(timer);
    clearInterval(watch);
  };
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      // One watch per stream, not a timer per frame: the next pull comes when the client has
      // taken the last frame, and until then it is stalled.
      const stallMs = opts.stallMs ?? 0;
      if (stallMs > 0) {
        watch = setInterval(() => {
          if (finished || waitingSince === 0 || Date.now() - waitingSince < stallMs) return;
          finish();
          opts.onCancel?.();
          void source.return(undefined);
          controller.error(new Error("the client stopped reading"));
        }, stallMs / STALL_CHECKS);
      }
      const keepAlive = opts.keepAlive;
      if (!keepAlive || keepAlive.everyMs <= 0) return;
      timer = setInterval(() => {
        if (!wrote && !finished) controller.enqueue(keepAlive.frame);
        wrote = false;
      }, keepAlive.everyMs);
    },
    async pull(controller) {
      waitingSince = 0;
      let next: IteratorResult<T>;
      try {
        next = await source.next();
      } catch (err) {
        if (finished) return;
        finish();
        if (!opts.errorFrame) return controller.error(err);
        controller.enqueue(opts.errorFrame(err instanceof Error ? err.message : String(err)));
        controller.close();
        return;
      }
      // The client may have left while the source was producing this value.
      if (finished) return;
      if (next.done) {
        finish();
        controller.close();
        return;
      }
      wrote = true;
      controller.enqueue(opts.frame(next.value));
      if (watch !== undefined) waitingSince = Date.now();
    },
    async cancel() {
      if (finished) return;
      finish();
      opts.onCancel?.();
      await source.return(undefined);
    },
  });
  return new Response(body, { headers: opts.headers });
}
