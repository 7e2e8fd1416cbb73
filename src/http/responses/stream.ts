/**
 * Chat Completions stream items → the Responses streaming event sequence: response.created and
 * in_progress, then one output item at a time (reasoning text, message text, function calls)
 * with its added / delta / done events, then response.completed (or incomplete) carrying the
 * output and usage. An upstream error becomes an `error` event and `response.failed`.
 * Leading whitespace is held back so a tool-call turn does not open an empty message.
 */
import type { ChatStreamItem, ChatUsageWire } from "../chat_bridge/chat_wire.ts";
import type { ResponsesRequest } from "./request.ts";
import {
  functionCallItem,
  itemIds,
  messageItem,
  type OutputItem,
  reasoningItem,
  type ResponseMeta,
  responseMeta,
  responseObject,
  statusFor,
} from "./response.ts";

export type ResponsesEvent = { type: string; [k: string]: unknown } | { type: "keepalive" };

type Open =
  | { kind: "reasoning" | "message"; id: string; text: string }
  | { kind: "call"; id: string; callId: string; name: string; args: string; index: number };

export async function* responsesEvents(
  items: AsyncIterable<ChatStreamItem>,
  req: ResponsesRequest,
  now: () => number,
): AsyncGenerator<ResponsesEvent> {
  let seq = 0;
  const ev = (type: string, fields: Record<string, unknown>) => ({
    type,
    sequence_number: seq++,
    ...fields,
  });
  let meta: ResponseMeta | null = null;
  const output: OutputItem[] = [];
  let open: Open | null = null;
  let finish: string | null = null;
  let usage: ChatUsageWire | null = null;

  function* start(m: ResponseMeta) {
    meta = m;
    const r = responseObject(m, req, "in_progress", []);
    yield ev("response.created", { response: r });
    yield ev("response.in_progress", { response: r });
  }

  function* close() {
    if (!open) return;
    const index = output.length;
    const o = open;
    open = null;
    if (o.kind === "call") {
      const item = functionCallItem(o.id, o.callId, o.name, o.args, "completed");
      yield ev("response.function_call_arguments.done", {
        item_id: o.id,
        output_index: index,
        name: o.name,
        arguments: o.args,
      });
      output.push(item);
      yield ev("response.output_item.done", { output_index: index, item });
      return;
    }
    const item = o.kind === "reasoning"
      ? reasoningItem(o.id, o.text, "completed")
      : messageItem(o.id, o.text, "completed");
    const at = { item_id: o.id, output_index: index, content_index: 0 };
    if (o.kind === "reasoning") {
      yield ev("response.reasoning_text.done", { ...at, text: o.text });
    } else yield ev("response.output_text.done", { ...at, text: o.text, logprobs: [] });
    yield ev("response.content_part.done", {
      ...at,
      part: (item.content as unknown[])[0],
    });
    output.push(item);
    yield ev("response.output_item.done", { output_index: index, item });
  }

  function* text(kind: "reasoning" | "message", delta: string) {
    if (open?.kind !== kind) {
      if (!delta.trim()) return;
      yield* close();
      const ids = itemIds(meta!);
      const id = kind === "reasoning" ? ids.reasoning : ids.message;
      open = { kind, id, text: "" };
      delta = delta.trimStart();
      const item = kind === "reasoning"
        ? reasoningItem(id, "", "in_progress")
        : messageItem(id, "", "in_progress");
      const index = output.length;
      yield ev("response.output_item.added", {
        output_index: index,
        item: { ...item, content: [] },
      });
      yield ev("response.content_part.added", {
        item_id: id,
        output_index: index,
        content_index: 0,
        part: (item.content as unknown[])[0],
      });
    }
    (open as Open & { kind: "reasoning" | "message" }).text += delta;
    const at = { item_id: open!.id, output_index: output.length, content_index: 0 };
    yield kind === "reasoning"
      ? ev("response.reasoning_text.delta", { ...at, delta })
      : ev("response.output_text.delta", { ...at, delta, logprobs: [] });
  }

  function* call(index: number, id: string | undefined, name: string | undefined, args: string) {
    if (open?.kind !== "call" || open.index !== index) {
      yield* close();
      const itemId = itemIds(meta!).call(index);
      open = { kind: "call", id: itemId, callId: id ?? itemId, name: name ?? "", args: "", index };
      yield ev("response.output_item.added", {
        output_index: output.length,
        item: functionCallItem(itemId, open.callId, open.name, "", "in_progress"),
      });
    }
    if (!args) return;
    (open as Open & { kind: "call" }).args += args;
    yield ev("response.function_call_arguments.delta", {
      item_id: open!.id,
      output_index: output.length,
      delta: args,
    });
  }

  for await (const item of items) {
    if (item.type === "keepalive") {
      yield item;
      continue;
    }
    if (item.type === "error") {
      const m = meta ?? responseMeta("chatcmpl-failed", Math.floor(now() / 1000), req.model);
      if (!meta) yield* start(m);
      yield* close();
      yield ev("error", { code: item.error.code, message: item.error.message, param: null });
      yield ev("response.failed", {
        response: responseObject(m, req, "failed", output, {
          error: { code: "server_error", message: item.error.message },
        }),
      });
      return;
    }
    const c = item.chunk;
    if (!meta) yield* start(responseMeta(c.id, c.created, c.model));
    if (c.usage) usage = c.usage;
    const choice = c.choices[0];
    if (!choice) continue;
    const d = choice.delta;
    if (d.reasoning_content) yield* text("reasoning", d.reasoning_content);
    if (d.content) yield* text("message", d.content);
    for (const t of d.tool_calls ?? []) {
      yield* call(t.index ?? 0, t.id, t.function?.name, t.function?.arguments ?? "");
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  if (!meta) return;
  yield* close();
  const status = statusFor(finish);
  yield ev(status === "incomplete" ? "response.incomplete" : "response.completed", {
    response: responseObject(meta, req, status, output, { usage }),
  });
}
