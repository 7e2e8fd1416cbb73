/**
 * OpenAI chat-completion wire shapes: the non-streaming completion object and the streaming
 * chunks. Pure builders; every chunk of one response shares `id`, `created` and `model`.
 */
import type { FinishReason, Usage } from "../engine/types.ts";
import type { ToolCall } from "../chat/messages.ts";
import { VERSION } from "../version.ts";

export const SYSTEM_FINGERPRINT = `rkllm-api-${VERSION}`;

export interface ResponseMeta {
  id: string;
  created: number;
  model: string;
}

export interface UsageWire {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageWire(u: Usage): UsageWire {
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.totalTokens,
  };
}

export interface ToolCallWire {
  index?: number;
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export function toolCallsWire(calls: readonly ToolCall[], withIndex: boolean): ToolCallWire[] {
  return calls.map((c, index) => ({
    ...(withIndex ? { index } : {}),
    id: c.id,
    type: "function",
    function: { name: c.name, arguments: c.arguments },
  }));
}

export interface Delta {
  role?: "assistant";
  content?: string;
  reasoning_content?: string;
  tool_calls?: ToolCallWire[];
}

export function chunk(
  meta: ResponseMeta,
  delta: Delta,
  finishReason: FinishReason | null = null,
  withUsageField = false,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
  // With include_usage OpenAI sends `usage: null` on every chunk but the last.
  if (withUsageField) out.usage = null;
  return out;
}

/**
 * Serialises delta chunks for one response: everything but the delta text is the same in every
 * chunk, so it is encoded once and only the text is escaped per token (the hot path). Produces
 * exactly `JSON.stringify(chunk(meta, { [field]: text }, null, withUsageField))`.
 */
export function deltaChunkWriter(
  meta: ResponseMeta,
  withUsageField: boolean,
): (field: "content" | "reasoning_content", text: string) => string {
  const template = JSON.stringify(chunk(meta, { content: "\u0000" }, null, withUsageField));
  const [head, tail] = template.split('{"content":"\\u0000"}');
  return (field, text) => `${head}{"${field}":${JSON.stringify(text)}}${tail}`;
}

export function usageChunk(meta: ResponseMeta, usage: Usage): Record<string, unknown> {
  return {
    id: meta.id,
    object: "chat.completion.chunk",
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [],
    usage: usageWire(usage),
  };
}

export function completion(
  meta: ResponseMeta,
  content: string,
  reasoning: string,
  finishReason: FinishReason,
  usage: Usage,
  toolCalls: readonly ToolCall[] = [],
): Record<string, unknown> {
  // OpenAI sends `content: null` when the answer is only tool calls.
  const message: Record<string, unknown> = {
    role: "assistant",
    content: toolCalls.length && !content ? null : content,
  };
  if (reasoning) message.reasoning_content = reasoning;
  if (toolCalls.length) message.tool_calls = toolCallsWire(toolCalls, false);
  return {
    id: meta.id,
    object: "chat.completion",
    created: meta.created,
    model: meta.model,
    system_fingerprint: SYSTEM_FINGERPRINT,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage: usageWire(usage),
  };
}
