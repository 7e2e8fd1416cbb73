/**
 * How the soak's clients wait after a 503, as the openai Python SDK does (LiteLLM calls
 * OpenAI-compatible servers through it): a `Retry-After` of more than 0 and at most 60 seconds
 * is honoured as given; anything else (absent, unparsable, 0, too long) falls back to
 * exponential backoff, 0.5 s × 2^retries capped at 8 s, minus up to 25 % jitter. Pure.
 */

export const MAX_HONOURED_RETRY_AFTER_S = 60;
const INITIAL_DELAY_S = 0.5;
const MAX_DELAY_S = 8;

/**
 * Milliseconds to wait before the next attempt. `retries` counts the retries made so far (0
 * before the first retry); `random` returns [0, 1).
 */
export function retryDelayMs(
  retryAfter: string | null,
  retries: number,
  random: () => number,
): number {
  const seconds = retryAfter === null || retryAfter.trim() === "" ? NaN : Number(retryAfter);
  if (seconds > 0 && seconds <= MAX_HONOURED_RETRY_AFTER_S) return seconds * 1000;
  const backoff = Math.min(INITIAL_DELAY_S * 2 ** retries, MAX_DELAY_S);
  return backoff * (1 - 0.25 * random()) * 1000;
}
