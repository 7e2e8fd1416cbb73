/**
 * A deadline on receiving a request body: a client sending one byte per second, or a chunked body
 * that never ends, would otherwise hold its handler (and the memory read so far) for as long as it
 * likes. The request is re-wrapped so that any reader of its body (JSON parsing, the body limit)
 * gets a `RequestTimeoutError` (408) once the deadline, counted from the request head, has passed.
 * Imports only src/errors.ts.
 */
import { ApiError } from "../errors.ts";

export class RequestTimeoutError extends ApiError {
  constructor(limitMs: number) {
    super(
      408,
      "invalid_request_error",
      "request_timeout",
      `The request body did not arrive within ${limitMs / 1000} s.`,
      { headers: { Connection: "close" } },
    );
  }
}

/**
 * `request` with its body readable until `Date.now() + limitMs` only; `onExpired` runs when the
 * deadline cuts a read. Requests without a body, and `limitMs` 0, pass through unchanged.
 */
export function withBodyDeadline(
  request: Request,
  limitMs: number,
  onExpired: () => void,
): Request {
  if (!request.body || limitMs <= 0) return request;
  const deadline = Date.now() + limitMs;
  const reader = request.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const expired = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), Math.max(0, deadline - Date.now()));
      });
      try {
        const step = await Promise.race([reader.read(), expired]);
        if (step === null) {
          onExpired();
          reader.cancel().catch(() => {});
          controller.error(new RequestTimeoutError(limitMs));
        } else if (step.done) {
          controller.close();
        } else {
          controller.enqueue(step.value);
        }
      } catch (err) {
        controller.error(err);
      } finally {
        clearTimeout(timer);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return new Request(request, { body, duplex: "half" } as RequestInit);
}
