/**
 * Chat Completions stream items → Anthropic Messages stream events: message_start and a ping,
 * one content block at a time (thinking, text, tool_use with input_json_delta) with
 * start / delta / stop, then message_delta (stop_reason, usage) and message_stop. Upstream
 * keep-alives become pings; an upstream error becomes one `error` event that ends the stream.
 * Leading whitespace is held back so a tool-call turn does not open an empty text block.
 */
import type { ChatStreamItem, ChatUsageWire } from "../chat_bridge/chat_wire.ts";
import { messageId, stopReason, usage } from "./message.ts";
import { anthropicErrorBody as errorBody } from "../errors.ts";

export type AnthropicEvent = { type: string; [k: string]: unknown };

type Open = { kind: "thinking" | "text" } | { kind: "tool"; index: number };

export async function* anthropicEvents(
  items: AsyncIterable<ChatStreamItem>,
): AsyncGenerator<AnthropicEvent> {
  let started = false;
  let open: Open | null = null;
  let index = -1;
  let finish: string | null = null;
  let used: ChatUsageWire | null = null;

  function* close() {
    if (!open) return;
    open = null;
    yield { type: "content_block_stop", index };
  }

  function* text(kind: "thinking" | "text", delta: string) {
    if (open?.kind !== kind) {
      if (!delta.trim()) return;
      yield* close();
      open = { kind };
      index++;
      delta = delta.trimStart();
      yield {
        type: "content_block_start",
        index,
        content_block: kind === "text"
          ? { type: "text", text: "" }
          : { type: "thinking", thinking: "", signature: "" },
      };
    }
    yield {
      type: "content_block_delta",
      index,
      delta: kind === "text"
        ? { type: "text_delta", text: delta }
        : { type: "thinking_delta", thinking: delta },
    };
  }

  for await (const item of items) {
    if (item.type === "keepalive") {
      yield { type: "ping" };
      continue;
    }
    if (item.type === "error") {
      yield errorBody(500, item.error.message);
      return;
    }
    const c = item.chunk;
    if (!started) {
      started = true;
      yield {
        type: "message_start",
        message: {
          id: messageId(c.id),
          type: "message",
          role: "assistant",
          model: c.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      };
      yield { type: "ping" };
    }
    if (c.usage) used = c.usage;
    const choice = c.choices[0];
    if (!choice) continue;
    const d = choice.delta;
    if (d.reasoning_content) yield* text("thinking", d.reasoning_content);
    if (d.content) yield* text("text", d.content);
    for (const t of d.tool_calls ?? []) {
      const i = t.index ?? 0;
      if (open?.kind !== "tool" || open.index !== i) {
        yield* close();
        open = { kind: "tool", index: i };
        index++;
        yield {
          type: "content_block_start",
          index,
          content_block: {
            type: "tool_use",
            id: t.id ?? "",
            name: t.function?.name ?? "",
            input: {},
          },
        };
      }
      if (t.function?.arguments) {
        yield {
          type: "content_block_delta",
          index,
          delta: { type: "input_json_delta", partial_json: t.function.arguments },
        };
      }
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  if (!started) return;
  yield* close();
  // The prompt's size is known only at the end; message_delta carries both counts.
  yield {
    type: "message_delta",
    delta: { stop_reason: stopReason(finish), stop_sequence: null },
    usage: usage(used),
  };
  yield { type: "message_stop" };
}
