/**
 * Request-body validation every protocol shares: a zod schema applied to a parsed JSON body,
 * its first issue turned into a 400 naming the field (OpenAI's `param`), and the sampling fields
 * with the bounds every API applies. Imports zod and src/errors.ts only.
 */
import { z } from "zod";
import { InvalidRequestError } from "../errors.ts";

const optionalNumber = (min: number, max: number) => z.number().min(min).max(max).nullish();

/** The sampling fields and their bounds, shared with the Ollama layer's `options`. */
export const samplingShape = {
  temperature: optionalNumber(0, 2),
  top_p: optionalNumber(0, 1),
  top_k: z.number().int().min(0).nullish(),
  repeat_penalty: optionalNumber(0, 10),
  frequency_penalty: optionalNumber(-2, 2),
  presence_penalty: optionalNumber(-2, 2),
};

/** `messages[0].role`-style path of the first issue, for OpenAI's `param`. */
export function issueParam(path: readonly PropertyKey[]): string | null {
  if (!path.length) return null;
  return path.reduce<string>(
    (acc, key) =>
      typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key),
    "",
  );
}

/** zod failure → 400 with the first issue's path as `param`. */
export function validationError(error: z.ZodError): InvalidRequestError {
  const issue = error.issues[0];
  const param = issueParam(issue?.path ?? []);
  const what = param ?? "request body";
  return new InvalidRequestError(`Invalid '${what}': ${issue?.message ?? "invalid value"}`, param);
}

export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRequestError("The request body must be a JSON object.");
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw validationError(parsed.error);
  return parsed.data;
}

/**
 * A 400 when a request body's `messages` holds more than `max` (the `max_messages` setting).
 * Read before validation: checking 100,000 messages would itself hold the event loop.
 */
export function checkMessageCount(body: unknown, max = Infinity): void {
  const given = (body as { messages?: unknown } | null)?.messages;
  if (Array.isArray(given) && given.length > max) {
    throw new InvalidRequestError(
      `Invalid 'messages': ${given.length} messages is more than this server accepts (${max}).`,
      "messages",
      "too_many_messages",
    );
  }
}
