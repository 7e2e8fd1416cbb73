/**
 * Anthropic Messages request (zod) → a Chat Completions request body for this server's own
 * chat handler. tool_result blocks become tool messages, tool_use blocks assistant tool calls,
 * images chat image parts (which the chat layer reports as ignored: the runtime takes text);
 * thinking blocks sent back are dropped, as the prompt is rebuilt from the visible turns. Pure.
 */
import { z } from "zod";
import { InvalidRequestError } from "../../errors.ts";
import { parseBody } from "../validation.ts";

const block = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(block)], {
  error: "must be a string or an array of content blocks",
});

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
const toolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(block)]).optional(),
  is_error: z.boolean().optional(),
});

const tool = z.looseObject({
  type: z.literal("custom", { error: "only custom (client) tools are supported" }).optional(),
  name: z.string(),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
});

export const messagesRequestSchema = z.looseObject({
  model: z.string({ error: "is required (a model id from GET /v1/models)" }),
  max_tokens: z.number({ error: "is required" }).int().positive(),
  messages: z.array(
    z.looseObject({ role: z.enum(["user", "assistant"]), content }),
    { error: "must be an array of messages" },
  ),
  system: content.optional(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  stream: z.boolean().optional(),
  tools: z.array(tool).optional(),
  tool_choice: z.looseObject({
    type: z.enum(["auto", "any", "tool", "none"]),
    name: z.string().optional(),
  }).optional(),
  thinking: z.looseObject({ type: z.enum(["enabled", "disabled", "adaptive"]) }).optional(),
});

export type MessagesRequest = z.infer<typeof messagesRequestSchema>;
type Block = z.infer<typeof block>;

function strict<T extends z.ZodType>(schema: T, value: unknown, param: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const at = [param, ...(issue?.path ?? []).map(String)].join(".");
    throw new InvalidRequestError(`Invalid '${at}': ${issue?.message}`, at);
  }
  return r.data;
}

function blocksText(value: string | Block[] | undefined, param: string): string {
  if (value === undefined) return "";
  if (typeof value === "string") return value;
  return value.filter((b) => b.type === "text")
    .map((b, i) => strict(textBlock, b, `${param}[${i}]`).text).join("\n");
}

type ChatMessage = Record<string, unknown> & { role: string };

function userMessages(blocks: Block[], param: string): ChatMessage[] {
  const out: ChatMessage[] = [];
  const parts: Record<string, unknown>[] = [];
  blocks.forEach((b, i) => {
    const at = `${param}[${i}]`;
    if (b.type === "tool_result") {
      const r = strict(toolResultBlock, b, at);
      const text = blocksText(r.content, `${at}.content`);
      out.push({
        role: "tool",
        tool_call_id: r.tool_use_id,
        content: r.is_error ? `Error: ${text}` : text,
      });
    } else if (b.type === "text") {
      parts.push({ type: "text", text: strict(textBlock, b, at).text });
    } else if (b.type === "image" || b.type === "document") {
      parts.push({ type: b.type });
    } else {
      throw new InvalidRequestError(
        `Invalid '${at}.type': unsupported block type '${b.type}'`,
        `${at}.type`,
      );
    }
  });
  if (parts.length) out.push({ role: "user", content: parts });
  return out;
}

function assistantMessage(blocks: Block[], param: string): ChatMessage {
  const texts: string[] = [];
  const calls: unknown[] = [];
  blocks.forEach((b, i) => {
    const at = `${param}[${i}]`;
    if (b.type === "text") texts.push(strict(textBlock, b, at).text);
    else if (b.type === "tool_use") {
      const u = strict(toolUseBlock, b, at);
      calls.push({
        id: u.id,
        type: "function",
        function: { name: u.name, arguments: JSON.stringify(u.input ?? {}) },
      });
    }
    // thinking / redacted_thinking: dropped.
  });
  const msg: ChatMessage = { role: "assistant", content: texts.length ? texts.join("\n") : null };
  if (calls.length) msg.tool_calls = calls;
  else if (msg.content === null) msg.content = "";
  return msg;
}

export interface TranslatedRequest {
  chat: Record<string, unknown>;
  stream: boolean;
  request: MessagesRequest;
}

export function toChatBody(body: unknown): TranslatedRequest {
  const req = parseBody(messagesRequestSchema, body);
  const messages: ChatMessage[] = [];
  const system = blocksText(req.system, "system");
  if (system) messages.push({ role: "system", content: system });
  req.messages.forEach((m, i) => {
    const at = `messages[${i}].content`;
    if (typeof m.content === "string") messages.push({ role: m.role, content: m.content });
    else if (m.role === "user") messages.push(...userMessages(m.content, at));
    else messages.push(assistantMessage(m.content, at));
  });
  const choice = req.tool_choice;
  const stream = req.stream === true;
  const chat: Record<string, unknown> = {
    model: req.model,
    messages,
    max_tokens: req.max_tokens,
    stream,
  };
  if (stream) chat.stream_options = { include_usage: true };
  if (req.stop_sequences?.length) chat.stop = req.stop_sequences;
  for (const k of ["temperature", "top_p", "top_k"] as const) {
    if (req[k] !== undefined) chat[k] = req[k];
  }
  if (req.tools?.length) {
    chat.tools = req.tools.map((t) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: t.input_schema },
    }));
  }
  if (choice) {
    chat.tool_choice = choice.type === "any"
      ? "required"
      : choice.type === "tool"
      ? { type: "function", function: { name: choice.name ?? "" } }
      : choice.type;
  }
  if (req.thinking) {
    chat.chat_template_kwargs = { enable_thinking: req.thinking.type !== "disabled" };
  }
  return { chat, stream, request: req };
}
