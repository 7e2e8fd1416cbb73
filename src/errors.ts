/**
 * The server's failures by kind, one class each. The domain says what went wrong (a kind, a
 * machine-readable code, the field at fault, how long to wait); the HTTP layer alone decides what
 * that looks like on the wire: one table in src/http/errors.ts maps kinds to statuses and error
 * types and renders the OpenAI, Ollama and Anthropic bodies. RkllmError (runtime calls) and
 * ConfigError (settings) are internal; `toApiError()` maps anything thrown to an ApiError.
 * Imports nothing from the rest of src/.
 */

/** What kind of failure a client sees; src/http/errors.ts gives each its status. */
export type ErrorKind =
  | "invalid_request"
  | "unauthorized"
  | "not_found"
  | "method_not_allowed"
  | "request_timeout"
  | "conflict"
  | "too_large"
  | "unprocessable"
  | "internal"
  | "not_implemented"
  | "upstream"
  | "unavailable"
  | "timeout"
  | "insufficient_storage";

export interface ApiErrorOptions {
  /** The request field at fault (OpenAI's `param`). */
  param?: string | null;
  /** Seconds after which a retry may succeed. */
  retryAfterS?: number;
  /** The methods a path takes (for a wrong method). */
  allowed?: readonly string[];
  cause?: unknown;
}

export class ApiError extends Error {
  readonly kind: ErrorKind;
  readonly code: string | null;
  readonly param: string | null;
  readonly retryAfterS: number | undefined;
  readonly allowed: readonly string[] | undefined;

  constructor(kind: ErrorKind, code: string | null, message: string, opts: ApiErrorOptions = {}) {
    super(message, { cause: opts.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.code = code;
    this.param = opts.param ?? null;
    this.retryAfterS = opts.retryAfterS;
    this.allowed = opts.allowed;
  }
}

export class InvalidRequestError extends ApiError {
  constructor(message: string, param: string | null = null, code: string | null = null) {
    super("invalid_request", code, message, { param });
  }
}

export class ContextLengthError extends ApiError {
  constructor(message: string) {
    super("invalid_request", "context_length_exceeded", message, {
      param: "messages",
    });
  }
}

export class AuthenticationError extends ApiError {
  constructor(message = "Invalid or missing API key.") {
    super("unauthorized", "invalid_api_key", message);
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
      "not_found",
      "model_not_found",
      `The model '${shown}' does not exist. Available models: ${list}`,
      { param: "model" },
    );
  }
}

export class RouteNotFoundError extends ApiError {
  constructor(method: string, path: string) {
    super("not_found", "not_found", `No route for ${method} ${path}.`);
  }
}

export class MethodNotAllowedError extends ApiError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(
      "method_not_allowed",
      "method_not_allowed",
      `Method ${method} is not allowed on ${path}; use ${allowed.join(" or ")}.`,
      { allowed },
    );
  }
}

export class PayloadTooLargeError extends ApiError {
  constructor(limitBytes: number) {
    super(
      "too_large",
      "request_too_large",
      `Request body exceeds the limit of ${limitBytes} bytes.`,
    );
  }
}

/** Queue full or queue wait exceeded: the client should retry later. */
export class ServerBusyError extends ApiError {
  constructor(message: string, retryAfterSeconds: number) {
    super("unavailable", "server_busy", message, { retryAfterS: retryAfterSeconds });
  }
}

export class ShuttingDownError extends ApiError {
  constructor() {
    super("unavailable", "shutting_down", "The server is shutting down.", { retryAfterS: 5 });
  }
}

/** The runtime stopped answering (a run ignored its abort): the process must be restarted. */
export class RuntimeWedgedError extends ApiError {
  constructor(message: string) {
    super(
      "unavailable",
      "runtime_wedged",
      `${message} The server restarts the NPU runtime.`,
      {
        retryAfterS: 15,
      },
    );
  }
}

export class GenerationTimeoutError extends ApiError {
  constructor(message: string) {
    super("timeout", "timeout", message);
  }
}

export class ModelLoadError extends ApiError {
  constructor(modelId: string, detail: string, cause?: unknown) {
    super(
      "internal",
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
    super("internal", "generation_failed", message, { cause });
  }
}

export class InternalError extends ApiError {
  constructor(message: string, cause?: unknown) {
    super("internal", "internal_error", message, { cause });
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
