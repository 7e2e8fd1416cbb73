/**
 * The one place that decides what a failure looks like on the wire: each error kind's HTTP
 * status, OpenAI error type and headers, and the bodies of the three protocols (OpenAI's
 * `{"error": {message, type, param, code}}`, Ollama's `{"error": "…"}`, Anthropic's
 * `{"type": "error", "error": {type, message}}`). Imports only src/errors.ts.
 */
import { type ApiError, type ErrorKind, toApiError } from "../errors.ts";

interface KindRule {
  status: number;
  type: "invalid_request_error" | "server_error";
  headers?: Record<string, string>;
}

const KINDS: Readonly<Record<ErrorKind, KindRule>> = {
  invalid_request: { status: 400, type: "invalid_request_error" },
  unauthorized: { status: 401, type: "invalid_request_error" },
  not_found: { status: 404, type: "invalid_request_error" },
  method_not_allowed: { status: 405, type: "invalid_request_error" },
  // The rest of that body is never read: the connection cannot carry another request.
  request_timeout: {
    status: 408,
    type: "invalid_request_error",
    headers: { Connection: "close" },
  },
  conflict: { status: 409, type: "invalid_request_error" },
  too_large: { status: 413, type: "invalid_request_error" },
  unprocessable: { status: 422, type: "invalid_request_error" },
  internal: { status: 500, type: "server_error" },
  not_implemented: { status: 501, type: "server_error" },
  upstream: { status: 502, type: "server_error" },
  unavailable: { status: 503, type: "server_error" },
  timeout: { status: 504, type: "server_error" },
  insufficient_storage: { status: 507, type: "server_error" },
};

/** A failure as HTTP sees it. */
export interface HttpError {
  error: ApiError;
  status: number;
  type: string;
  headers: Record<string, string>;
}

export function httpError(err: unknown): HttpError {
  const error = toApiError(err);
  const rule = KINDS[error.kind];
  const headers: Record<string, string> = { ...rule.headers };
  if (error.retryAfterS !== undefined) {
    headers["Retry-After"] = String(Math.max(1, Math.ceil(error.retryAfterS)));
  }
  if (error.allowed) headers.Allow = error.allowed.join(", ");
  return { error, status: rule.status, type: rule.type, headers };
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAiErrorBody(e: HttpError): OpenAIErrorBody {
  return {
    error: { message: e.error.message, type: e.type, param: e.error.param, code: e.error.code },
  };
}

export function ollamaErrorBody(e: HttpError): { error: string } {
  return { error: e.error.message };
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  503: "overloaded_error",
  529: "overloaded_error",
};

export function anthropicErrorBody(status: number, message: string) {
  return {
    type: "error",
    error: {
      type: ANTHROPIC_TYPES[status] ?? (status < 500 ? "invalid_request_error" : "api_error"),
      message,
    },
  };
}

/** The body for the protocol a path belongs to. */
export function errorBodyFor(path: string, e: HttpError): unknown {
  if (path.startsWith("/api/")) return ollamaErrorBody(e);
  if (path === "/v1/messages") return anthropicErrorBody(e.status, e.error.message);
  return openAiErrorBody(e);
}
