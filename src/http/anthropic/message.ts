/**
 * Anthropic output shapes: the message object from a Chat Completion, the stop_reason mapping,
 * usage, and the error body (`{type: "error", error: {type, message}}`) with its type by status.
 * Pure.
 */
import type { ChatCompletionWire, ChatUsageWire } from "../chat_bridge/chat_wire.ts";

export function messageId(chatId: string): string {
  return `msg_${chatId.replace(/^chatcmpl-/, "")}`;
}

export function stopReason(finish: string | null): string {
  return finish === "length" ? "max_tokens" : finish === "tool_calls" ? "tool_use" : "end_turn";
}

export function usage(u: ChatUsageWire | null | undefined) {
  return { input_tokens: u?.prompt_tokens ?? 0, output_tokens: u?.completion_tokens ?? 0 };
}

/** Tool arguments as the object Anthropic clients expect; anything unparsable becomes {}. */
export function toolInput(args: string | undefined): Record<string, unknown> {
  try {
    const v = JSON.parse(args || "{}");
    return typeof v === "object" && v !== null && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
}

export function fromCompletion(c: ChatCompletionWire): Record<string, unknown> {
  const choice = c.choices[0];
  const m = choice?.message;
  const content: Record<string, unknown>[] = [];
  if (m?.reasoning_content) {
    content.push({ type: "thinking", thinking: m.reasoning_content, signature: "" });
  }
  if (m?.content) content.push({ type: "text", text: m.content });
  for (const t of m?.tool_calls ?? []) {
    content.push({
      type: "tool_use",
      id: t.id,
      name: t.function?.name ?? "",
      input: toolInput(t.function?.arguments),
    });
  }
  return {
    id: messageId(c.id),
    type: "message",
    role: "assistant",
    model: c.model,
    content,
    stop_reason: stopReason(choice?.finish_reason ?? null),
    stop_sequence: null,
    usage: usage(c.usage),
  };
}
