/**
 * OpenAI Responses request (zod) → a Chat Completions request body for this server's own chat
 * handler, plus what the response object echoes back. Stateless: `store` is accepted and
 * ignored; `previous_response_id` and `conversation` need server state and are refused. Pure.
 */
import { z } from "zod";
import { InvalidRequestError } from "../../errors.ts";
import { parseBody } from "../validation.ts";

const part = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(part)], {
  error: "must be a string or an array of content parts",
});

const messageItem = z.looseObject({
  type: z.literal("message"),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content,
});
const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string(),
  name: z.string().min(1),
  arguments: z.string(),
});
const functionOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string(),
  output: content,
});
const reasoningItem = z.looseObject({ type: z.literal("reasoning") });

/** Message items may omit `type`. */
const item = z.preprocess(
  (v) =>
    typeof v === "object" && v !== null && !("type" in v) && "role" in v
      ? { ...v, type: "message" }
      : v,
  z.discriminatedUnion("type", [messageItem, functionCallItem, functionOutputItem, reasoningItem], {
    error: "must be a message, function_call, function_call_output or reasoning item",
  }),
);

const functionTool = z.looseObject({
  type: z.literal("function", { error: "only function tools are supported" }),
  name: z.string(),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

export const responsesRequestSchema = z.looseObject({
  model: z.string({ error: "is required (a model id from GET /v1/models)" }),
  // A string is one user message.
  input: z.preprocess(
    (v) => typeof v === "string" ? [{ type: "message", role: "user", content: v }] : v,
    z.array(item, { error: "must be a string or an array of items" }),
  ),
  instructions: z.string().nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  previous_response_id: z.string().nullish(),
  conversation: z.unknown().optional(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  tools: z.array(functionTool).nullish(),
  tool_choice: z.union([
    z.enum(["none", "auto", "required"]),
    z.looseObject({ type: z.literal("function"), name: z.string() }),
  ]).nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  reasoning: z.looseObject({
    effort: z.enum(["none", "minimal", "low", "medium", "high", "xhigh"]).nullish(),
  }).nullish(),
  text: z.looseObject({
    format: z.discriminatedUnion("type", [
      z.looseObject({ type: z.literal("text") }),
      z.looseObject({ type: z.literal("json_object") }),
      z.looseObject({
        type: z.literal("json_schema"),
        name: z.string(),
        schema: z.record(z.string(), z.unknown()),
        description: z.string().optional(),
        strict: z.boolean().nullish(),
      }),
    ]).optional(),
  }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

type Part = z.infer<typeof part>;

/** Text parts become chat text parts; anything else is passed on for the chat layer to report. */
function chatParts(value: string | Part[]): string | Record<string, unknown>[] {
  if (typeof value === "string") return value;
  return value.map((p) =>
    ["input_text", "output_text", "text"].includes(p.type) && typeof p.text === "string"
      ? { type: "text", text: p.text }
      : { type: p.type }
  );
}

function partsText(value: string | Part[]): string {
  return typeof value === "string"
    ? value
    : value.filter((p) => typeof p.text === "string").map((p) => p.text).join("");
}

type ChatMessageBody = Record<string, unknown> & { role: string };

function chatMessages(req: ResponsesRequest): ChatMessageBody[] {
  const out: ChatMessageBody[] = [];
  if (req.instructions) out.push({ role: "system", content: req.instructions });
  for (const it of req.input) {
    if (it.type === "message") {
      out.push({ role: it.role, content: chatParts(it.content) });
    } else if (it.type === "function_call") {
      const call = {
        id: it.call_id,
        type: "function",
        function: { name: it.name, arguments: it.arguments },
      };
      // Consecutive calls (and a preceding assistant text) form one assistant turn.
      const last = out.at(-1);
      if (last?.role === "assistant") {
        last.tool_calls = [...(last.tool_calls as unknown[] ?? []), call];
      } else out.push({ role: "assistant", content: null, tool_calls: [call] });
    } else if (it.type === "function_call_output") {
      out.push({ role: "tool", tool_call_id: it.call_id, content: partsText(it.output) });
    }
    // Reasoning items are dropped: the prompt is rebuilt from the visible turns.
  }
  return out;
}

function definedOnly(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null));
}

export interface TranslatedRequest {
  chat: Record<string, unknown>;
  stream: boolean;
  request: ResponsesRequest;
}

export function toChatBody(body: unknown): TranslatedRequest {
  const req = parseBody(responsesRequestSchema, body);
  if (req.previous_response_id || req.conversation != null) {
    const param = req.previous_response_id ? "previous_response_id" : "conversation";
    throw new InvalidRequestError(
      `'${param}' is not supported: this server keeps no response state. Send the whole conversation in 'input'.`,
      param,
    );
  }
  const format = req.text?.format;
  const stream = req.stream === true;
  const choice = req.tool_choice;
  const effort = req.reasoning?.effort;
  return {
    stream,
    request: req,
    chat: definedOnly({
      model: req.model,
      messages: chatMessages(req),
      stream,
      stream_options: stream ? { include_usage: true } : undefined,
      max_tokens: req.max_output_tokens,
      temperature: req.temperature,
      top_p: req.top_p,
      tools: req.tools?.map((t) => ({
        type: "function",
        function: definedOnly({
          name: t.name,
          description: t.description,
          parameters: t.parameters,
        }),
      })),
      tool_choice: typeof choice === "object" && choice
        ? { type: "function", function: { name: choice.name } }
        : choice,
      reasoning_effort: effort === "xhigh" ? "high" : effort,
      response_format: format?.type === "json_object"
        ? { type: "json_object" }
        : format?.type === "json_schema"
        ? {
          type: "json_schema",
          json_schema: definedOnly({
            name: format.name,
            schema: format.schema,
            description: format.description,
            strict: format.strict,
          }),
        }
        : undefined,
    }),
  };
}
