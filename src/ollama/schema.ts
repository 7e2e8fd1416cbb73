/**
 * zod schemas of the Ollama request bodies this server answers (`/api/chat`, `/api/generate`,
 * `/api/show`). Unknown fields are ignored, as Ollama clients send many (`num_ctx`, `mirostat`…);
 * a wrong type in a known field is a 400 naming it (`Invalid 'options.top_p': …`).
 * Pure; imports only zod.
 */
import { z } from "zod";
import { samplingShape } from "../http/validation.ts";

const modelName = z.string({ error: "is required (a model name from GET /api/tags)" }).trim()
  .min(1, { error: "must not be empty" });

/** `options` of chat and generate. Sampling bounds are the OpenAI layer's. */
export const optionsSchema = z.looseObject({
  ...samplingShape,
  /** Ollama: -1 = no limit, -2 = until the context is full; both mean "the model's limit" here. */
  num_predict: z.number().int().min(-2, { error: "must be a positive count, -1 or -2" }).nullish(),
  stop: z.union([z.string(), z.array(z.string())], {
    error: "must be a string or a list of strings",
  }).nullish(),
  seed: z.number().int().nullish(),
}, { error: "must be an object" });

const think = z.union([z.boolean(), z.enum(["high", "medium", "low"])], {
  error: "must be true, false, or one of high, medium, low",
}).nullish();

/** `format` ("json" or a JSON schema): accepted, not enforced. */
const format = z.union([z.string(), z.record(z.string(), z.unknown())], {
  error: 'must be "json" or a JSON schema object',
}).nullish();

/**
 * A Go duration ("5m", "1h30m", "-1s", "300ms"), a plain number of seconds ("0", "3600"), or ""
 * (not given). Anything else ("NaN", "5 minutes") is refused, as Ollama refuses it.
 */
const DURATION =
  /^\s*(?:[-+]?(?:(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+|\d+(?:\.\d*)?|\.\d+))?\s*$/;
const keepAliveError = 'must be a number of seconds or a duration such as "5m"';

/** Seconds (number) or a duration; 0 unloads in a load-only request. */
export const keepAlive = z.union([
  z.number(),
  z.string().regex(DURATION, { error: keepAliveError }),
], {
  error: keepAliveError,
}).nullish();

const toolCall = z.looseObject({
  id: z.string().nullish(),
  function: z.looseObject({
    name: z.string().min(1),
    /** Ollama sends an object; a JSON string is accepted too. */
    arguments: z.union([z.record(z.string(), z.unknown()), z.string()], {
      error: "must be an object",
    }).nullish(),
  }),
});

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool"], {
    error: "must be one of system, user, assistant, tool",
  }),
  content: z.string({ error: "must be a string" }).nullish(),
  images: z.array(z.string(), { error: "must be a list of base64 strings" }).nullish(),
  thinking: z.string().nullish(),
  tool_calls: z.array(toolCall).nullish(),
  tool_name: z.string().nullish(),
  tool_call_id: z.string().nullish(),
});

const tool = z.looseObject({
  type: z.literal("function", { error: "only function tools are supported" }).optional(),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
      error: "must be 1-64 letters, digits, _ . or -",
    }),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
  }),
});

/** Fields chat and generate share. */
const common = {
  model: modelName,
  stream: z.boolean({ error: "must be true or false" }).nullish(),
  format,
  options: optionsSchema.nullish(),
  think,
  keep_alive: keepAlive,
};

export const chatBodySchema = z.looseObject({
  ...common,
  /** Absent or empty: load (or, with keep_alive 0, unload) the model. */
  messages: z.array(message, { error: "must be an array of messages" }).nullish(),
  tools: z.array(tool, { error: "must be an array of tools" }).max(128).nullish(),
});

export const generateBodySchema = z.looseObject({
  ...common,
  /** Absent or empty: load (or, with keep_alive 0, unload) the model. */
  prompt: z.string({ error: "must be a string" }).nullish(),
  system: z.string({ error: "must be a string" }).nullish(),
  suffix: z.string().nullish(),
  template: z.string().nullish(),
  raw: z.boolean().nullish(),
  images: z.array(z.string(), { error: "must be a list of base64 strings" }).nullish(),
  /** Token context of an earlier response: not supported (this server always answers `[]`). */
  context: z.array(z.number()).nullish(),
});

/** `/api/show` takes `model`; old clients send `name`. */
export const showBodySchema = z.looseObject({
  model: z.string().trim().nullish(),
  name: z.string().trim().nullish(),
}).refine((b) => Boolean(b.model || b.name), {
  error: "is required (a model name from GET /api/tags)",
  path: ["model"],
});

export type OllamaOptions = z.infer<typeof optionsSchema>;
export type OllamaChatBody = z.infer<typeof chatBodySchema>;
export type OllamaGenerateBody = z.infer<typeof generateBodySchema>;
export type OllamaMessage = z.infer<typeof message>;
