/**
 * A deadline on receiving a request body: a client sending one byte per second, or a chunked body
 * that never ends, would otherwise hold its handler (and the memory read so far) for as long as it
 * likes. server.ts hands each request a `BodyDeadline` (as the Hono env, `c.env`); the body reader
 * (json_body.ts) races the body against it and answers 408, after which server.ts closes the
 * connection, since the rest of that body is never read. A chunked body (no Content-Length) is
 * read whole by the body-limit middleware before any handler, so server.ts wraps that body in a
 * stream that fails at the deadline (`withBodyDeadline`). Only those: wrapping every body costs
 * about 0.3 ms per request.
 * Imports only src/errors.ts.
 */
import { ApiError } from "../errors.ts";

export class RequestTimeoutError extends ApiError {
  constructor(limitMs: number) {
    super(
      "request_timeout",
      "request_timeout",
      `The request body did not arrive within ${limitMs / 1000} s.`,
    );
  }
}

/** What server.ts tells a request about its connection. */
export interface BodyDeadline {
  /** `Date.now()` value by which the whole body must have arrived; Infinity = no limit. */
  readonly bodyDeadline: number;
  readonly bodyTimeoutMs: number;
  /** The body was abandoned: close the connection once the response is sent. */
  closeAfterResponse(): void;
}

function isBodyDeadline(value: unknown): value is BodyDeadline {
  return typeof (value as BodyDeadline | null)?.bodyDeadline === "number";
}

/**
 * `read` (a body reader's promise) if it settles before the deadline in `env`, else a
 * RequestTimeoutError. Without a deadline (tests calling `app.request()`), `read` as it is.
 */
export async function beforeBodyDeadline<T>(read: Promise<T>, env: unknown): Promise<T> {
  if (!isBodyDeadline(env) || env.bodyDeadline === Infinity) return await read;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      env.closeAfterResponse();
      reject(new RequestTimeoutError(env.bodyTimeoutMs));
    }, Math.max(0, env.bodyDeadline - Date.now()));
  });
  // The abandoned read fails when the connection closes; nobody waits for it then.
  read.catch(() => {});
  try {
    return await Promise.race([read, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `request` with its body readable until the deadline only; a read past it fails with a
 * RequestTimeoutError (and asks to close the connection).
 */
export function withBodyDeadline(request: Request, deadline: BodyDeadline): Request {
  if (!request.body || deadline.bodyDeadline === Infinity) return request;
  const reader = request.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const step = await beforeBodyDeadline(reader.read(), deadline);
        if (step.done) controller.close();
        else controller.enqueue(step.value);
      } catch (err) {
        reader.cancel().catch(() => {});
        controller.error(err);
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 });
  return new Request(request, { body, duplex: "half" } as RequestInit);
}
