/**
 * The error families of the server and their OpenAI rendering.
 *
 * Every failure a client can see is an ApiError subclass (one class per kind, each fixing its
 * HTTP status, OpenAI `type` and `code`). RkllmError (runtime calls) and ConfigError (settings)
 * are internal and are mapped to ApiError in one place: `toApiError()`.
 * Imports nothing from the rest of src/.
 */

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export class ApiError extends Error {
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  /** Extra response headers (Retry-After on 503). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    type: string,
    code: string | null,
    message: string,
    opts: { param?: string | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = opts.param ?? null;
    this.headers = opts.headers ?? {};
  }

  toBody(): OpenAIErrorBody {
    return {
      error: { message: this.message, type: this.type, param: this.param, code: this.code },
    };
  }
}

export class InvalidRequestError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super(400, "invalid_request_error", code, message, { param });
  }
}

export class ContextLengthError extends ApiError {
  constructor(message: string) {
    super(400, "invalid_request_error", "context_length_exceeded", message, {
      param: "messages",
    });
  }
}

export class AuthenticationError extends ApiError {
  constructor(message = "Invalid or missing API key.") {
    super(401, "invalid_request_error", "invalid_api_key", message);
  }
}

export class ModelNotFoundError extends ApiError {
  constructor(requested: string, available: readonly string[]) {
    const list = available.length
      ? available.join(", ")
      : "(none: put .rkllm files in the models folder)";
    // Client input: echo a bounded part of it.
    const shown = requested.length > 100 ? `${requested.slice(0, 100)}…` : requested;
    super(
      404,
      "invalid_request_error",
      "model_not_found",
      `The model '${shown}' does not exist. Available models: ${list}`,
      { param: "model" },
    );
  }
}

export class RouteNotFoundError extends ApiError {
  constructor(method: string, path: string) {
    super(404, "invalid_request_error", "not_found", `No route for ${method} ${path}.`);
  }
}

export class MethodNotAllowedError extends ApiError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(
      405,
      "invalid_request_error",
      "method_not_allowed",
      `Method ${method} is not allowed on ${path}; use ${allowed.join(" or ")}.`,
      { headers: { Allow: allowed.join(", ") } },
    );
  }
}

export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(
      413,
      "invalid_request_error",
      "request_too_large",
      `Request body exceeds the limit of ${limitBytes} bytes.`,
    );
  }
}

/** Queue full or queue wait exceeded: the client should retry later. */
export class ServerBusyError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super(503, "server_error", "server_busy", message, {
      headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class ShuttingDownError extends ApiError {
  constructor() {
    super(503, "server_error", "shutting_down", "The server is shutting down.", {
      headers: { "Retry-After": "5" },
    });
  }
}

/** The runtime stopped answering (a run ignored its abort): the process must be restarted. */
export class RuntimeWedgedError extends ApiError {
  constructor(message: string) {
    super(
      503,
      "server_error",
      "runtime_wedged",
      `${message} The server restarts the NPU runtime.`,
      {
        headers: { "Retry-After": "15" },
      },
    );
  }
}

export class GenerationTimeoutError extends ApiError {
  constructor(message: string) {
    super(504, "server_error", "timeout", message);
  }
}

export class ModelLoadError extends ApiError {
  constructor(modelId: string, detail: string, cause?: unknown) {
    super(
      500,
      "server_error",
      "model_load_failed",
      `Failed to load model '${modelId}': ${detail}`,
      {
        cause,
      },
    );
  }
}

export class GenerationError extends ApiError {
  constructor(message: string, cause?: unknown) {
    super(500, "server_error", "generation_failed", message, { cause });
  }
}

export class InternalError extends ApiError {
  constructor(message: string, cause?: unknown) {
    super(500, "server_error", "internal_error", message, { cause });
  }
}

/** A runtime call failed; `op` is the C function, `code` its return value. */
export class RkllmError extends Error {
  readonly op: string;
  readonly code: number | null;
  constructor(op: string, code: number | null, message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = "RkllmError";
    this.op = op;
    this.code = code;
  }
}

export class ConfigError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = "ConfigError";
  }
}

/** The one place that decides what an arbitrary thrown value looks like to a client. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof RkllmError) {
    return new GenerationError(`NPU runtime error in ${err.op}: ${err.message}`, err);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(`Internal error: ${message}`, err);
}
