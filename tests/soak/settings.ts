/** The soak's fixed settings, shared by its phases. */
import { TOKENS } from "./plan.ts";
import type { RequestOptions } from "./request.ts";

/** The mock runtime: 20 words at 1 ms each after a 2 ms prefill; a model load takes 20 ms. */
export const MOCK_ENV = {
  RKLLM_MOCK_TOKENS: String(TOKENS),
  RKLLM_MOCK_TOKEN_MS: "1",
  RKLLM_MOCK_PREFILL_MS: "2",
  RKLLM_MOCK_INIT_MS: "20",
};

/** The server's default `queue_timeout`: the longest Retry-After it may ask for. */
const QUEUE_TIMEOUT_S = 300;
/** One attempt's limit on the client side. */
const REQUEST_TIMEOUT_MS = 60_000;
/** The bound on RSS growth once warmed up. */
export const RSS_LIMIT_MB = 10;
export const HEALTH_POLL_MS = 100;

/** Clients that retry on 503 as the SDKs do; `random` draws their backoff jitter. */
export function retryingClient(random: () => number): RequestOptions {
  return { random, timeoutMs: REQUEST_TIMEOUT_MS, maxRetryAfterS: QUEUE_TIMEOUT_S };
}
