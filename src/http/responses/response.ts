/**
 * Responses API output: the response object built from a Chat Completion (or from the items a
 * stream accumulated), with the request's settings echoed, usage renamed, and `length` reported
 * as `incomplete` (max_output_tokens). Pure.
 */
import type { ChatCompletionWire, ChatUsageWire } from "../chat_bridge/chat_wire.ts";
import type { ResponsesRequest } from "./request.ts";

export type OutputItem = Record<string, unknown> & { type: string; id: string };

export interface ResponseMeta {
  id: string;
  createdAt: number;
  model: string;
}

/** `chatcmpl-<request id>` → `resp_<request id>`, so logs and ids line up. */
export function responseMeta(chatId: string, created: number, model: string): ResponseMeta {
  return { id: `resp_${chatId.replace(/^chatcmpl-/, "")}`, createdAt: created, model };
}

export function itemIds(meta: ResponseMeta) {
  const base = meta.id.slice(5);
  return {
    reasoning: `rs_${base}`,
    message: `msg_${base}`,
    call: (i: number) => `fc_${base}_${i}`,
  };
}

export function reasoningItem(id: string, text: string, status: string): OutputItem {
  return {
    type: "reasoning",
    id,
    summary: [],
    content: [{ type: "reasoning_text", text }],
    status,
  };
}

export function messageItem(id: string, text: string, status: string): OutputItem {
  return {
    type: "message",
    id,
    status,
    role: "assistant",
    content: [{ type: "output_text", text, annotations: [], logprobs: [] }],
  };
}

export function functionCallItem(
  id: string,
  callId: string,
  name: string,
  args: string,
  status: string,
): OutputItem {
  return { type: "function_call", id, call_id: callId, name, arguments: args, status };
}

export function usageObject(u: ChatUsageWire | null | undefined) {
  return u
    ? {
      input_tokens: u.prompt_tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: u.completion_tokens,
      // The runtime does not count reasoning tokens apart from the answer.
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: u.total_tokens,
    }
    : null;
}

export type ResponseStatus = "in_progress" | "completed" | "incomplete" | "failed";

export function responseObject(
  meta: ResponseMeta,
  req: ResponsesRequest,
  status: ResponseStatus,
  output: OutputItem[],
  extra: { usage?: ChatUsageWire | null; error?: { code: string; message: string } } = {},
): Record<string, unknown> {
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status,
    error: extra.error ?? null,
    incomplete_details: status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: req.instructions ?? null,
    max_output_tokens: req.max_output_tokens ?? null,
    model: meta.model,
    output,
    parallel_tool_calls: req.parallel_tool_calls ?? true,
    previous_response_id: null,
    reasoning: { effort: req.reasoning?.effort ?? null, summary: null },
    store: req.store ?? false,
    temperature: req.temperature ?? null,
    text: req.text ?? { format: { type: "text" } },
    tool_choice: req.tool_choice ?? "auto",
    tools: req.tools ?? [],
    top_p: req.top_p ?? null,
    truncation: "disabled",
    usage: usageObject(extra.usage),
    metadata: req.metadata ?? {},
  };
}

export function statusFor(finishReason: string | null): ResponseStatus {
  return finishReason === "length" ? "incomplete" : "completed";
}

/** A whole Chat Completion → the Responses object. */
export function fromCompletion(c: ChatCompletionWire, req: ResponsesRequest) {
  const meta = responseMeta(c.id, c.created, c.model);
  const ids = itemIds(meta);
  const choice = c.choices[0];
  const status = statusFor(choice?.finish_reason ?? null);
  const itemStatus = status === "incomplete" ? "incomplete" : "completed";
  const output: OutputItem[] = [];
  const m = choice?.message;
  if (m?.reasoning_content) {
    output.push(reasoningItem(ids.reasoning, m.reasoning_content, itemStatus));
  }
  if (m?.content) output.push(messageItem(ids.message, m.content, itemStatus));
  (m?.tool_calls ?? []).forEach((t, i) =>
    output.push(
      functionCallItem(
        ids.call(i),
        t.id ?? ids.call(i),
        t.function?.name ?? "",
        t.function?.arguments ?? "{}",
        "completed",
      ),
    )
  );
  return responseObject(meta, req, status, output, { usage: c.usage });
}
