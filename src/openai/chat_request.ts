/**
 * Validation of OpenAI chat-completion request bodies (zod) and their conversion into the
 * engine's `ChatRequest`. Unknown fields are ignored, as OpenAI clients send many; a wrong type
 * in a known field is a 400 naming the offending `param`. Pure.
 */
import { z } from "zod";
import { checkMessageCount, parseBody, samplingShape } from "../http/validation.ts";
import { type ChatRequest, SAMPLING_FIELDS, type SamplingField } from "../engine/types.ts";
import { type ChatMessage, type ImageInput, type Role } from "../chat/messages.ts";

const part = z.looseObject({
  type: z.string(),
  text: z.string().optional(),
  image_url: z.union([z.string(), z.looseObject({ url: z.string() })]).optional(),
});
const content = z.union([z.string(), z.null(), z.array(part)], {
  error: "must be a string, null, or an array of content parts",
}).optional();

const toolCall = z.looseObject({
  id: z.string().optional(),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: z.string().min(1), arguments: z.string().optional() }),
});

const message = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"], {
    error: "must be one of system, developer, user, assistant, tool",
  }),
  content,
  tool_calls: z.array(toolCall).nullish(),
  tool_call_id: z.string().nullish(),
}).superRefine((m, ctx) => {
  // As OpenAI: only an assistant turn may leave out `content` (a tool-call turn has none).
  if (m.content === undefined && m.role !== "assistant") {
    ctx.addIssue({ code: "custom", path: ["content"], message: "is required" });
  }
});

const tool = z.looseObject({
  type: z.literal("function", { error: "only function tools are supported" }),
  function: z.looseObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, {
      error: "must be 1-64 letters, digits, _ . or -",
    }),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const tokenCount = z.number().int().positive().nullish();

export const chatRequestSchema = z.looseObject({
  model: z.string({ error: "is required (a model id from GET /v1/models)" }).trim().min(1, {
    error: "must not be empty",
  }),
  messages: z.array(message, { error: "must be an array of messages" }).min(1, {
    error: "must contain at least one message",
  }),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  max_tokens: tokenCount,
  max_completion_tokens: tokenCount,
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  n: z.number().int().min(1).max(1, { error: "only n=1 is supported (one NPU, one answer)" })
    .nullish(),
  seed: z.number().int().nullish(),
  ...samplingShape,
  reasoning_effort: z.enum(["none", "minimal", "low", "medium", "high"]).nullish(),
  chat_template_kwargs: z.looseObject({ enable_thinking: z.boolean().nullish() }).nullish(),
  tools: z.array(tool).max(128).nullish(),
  tool_choice: z.union([
    z.enum(["none", "auto", "required"]),
    z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  ]).nullish(),
});

export type ChatRequestBody = z.infer<typeof chatRequestSchema>;

const ROLE_MAP: Record<z.infer<typeof message>["role"], Role> = {
  system: "system",
  developer: "system",
  user: "user",
  assistant: "assistant",
  tool: "tool",
  function: "tool",
};

export interface NormalisedContent {
  text: string;
  /** `image_url` parts, in order: checked and decoded later, only for a vision model. */
  images: ImageInput[];
  /** Other non-text parts (audio, files) the runtime cannot take. */
  droppedParts: number;
}

/** string → itself; null/absent → ""; parts → their text joined by a space, and the images. */
export function normaliseContent(value: z.infer<typeof content>): NormalisedContent {
  if (typeof value === "string") return { text: value, images: [], droppedParts: 0 };
  if (!value) return { text: "", images: [], droppedParts: 0 };
  const texts = value.filter((p) => p.type === "text" && typeof p.text === "string")
    .map((p) => p.text as string);
  const images: ImageInput[] = value.flatMap((p) =>
    p.type === "image_url" && p.image_url !== undefined
      ? [{ kind: "url", url: typeof p.image_url === "string" ? p.image_url : p.image_url.url }]
      : []
  );
  return {
    text: texts.join(" "),
    images,
    droppedParts: value.length - texts.length - images.length,
  };
}

export interface ParsedChatRequest {
  request: ChatRequest;
  stream: boolean;
  includeUsage: boolean;
  /** Request features accepted but not applied (reported to the client in a header). */
  ignored: string[];
}

/** Validates a parsed JSON body and converts it. `requestId` names the generation. */
export function toChatRequest(
  body: unknown,
  requestId: string,
  /** Most messages accepted (legacy completions send one: no bound). */
  maxMessages = Infinity,
): ParsedChatRequest {
  checkMessageCount(body, maxMessages);
  const b = parseBody(chatRequestSchema, body);
  let dropped = 0;
  const messages: ChatMessage[] = b.messages.map((m, i) => {
    const c = normaliseContent(m.content);
    dropped += c.droppedParts;
    const out: ChatMessage = { role: ROLE_MAP[m.role], content: c.text };
    if (m.tool_calls?.length) {
      out.toolCalls = m.tool_calls.map((t, j) => ({
        id: t.id ?? `call_${i}_${j}`,
        name: t.function.name,
        arguments: t.function.arguments ?? "{}",
      }));
    }
    if (m.tool_call_id) out.toolCallId = m.tool_call_id;
    if (c.images.length) out.images = c.images;
    return out;
  });
  const sampling: Partial<Record<SamplingField, number>> = {};
  for (const field of SAMPLING_FIELDS) {
    const value = b[field];
    if (typeof value === "number") sampling[field] = value;
  }
  let enableThinking: boolean | undefined;
  if (b.reasoning_effort === "none") enableThinking = false;
  const kwarg = b.chat_template_kwargs?.enable_thinking;
  if (typeof kwarg === "boolean") enableThinking = kwarg;
  const stop = b.stop == null ? [] : typeof b.stop === "string" ? [b.stop] : b.stop;
  return {
    request: {
      requestId,
      model: b.model,
      messages,
      maxTokens: b.max_completion_tokens ?? b.max_tokens ?? undefined,
      stop: stop.filter((s) => s.length > 0),
      enableThinking,
      sampling,
      tools: b.tools?.map((t) => ({
        name: t.function.name,
        description: t.function.description,
        parameters: t.function.parameters,
      })) ?? [],
      // A named function cannot be forced through the runtime; it still requires a call.
      toolChoice: typeof b.tool_choice === "object" && b.tool_choice !== null
        ? "required"
        : b.tool_choice ?? undefined,
    },
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
    ignored: dropped ? ["image_parts"] : [],
  };
}
