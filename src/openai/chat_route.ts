/**
 * `POST /v1/chat/completions`: validate, start a generation on the engine, and render its
 * events as an OpenAI completion object or as an SSE stream (role chunk first, deltas, one
 * finish chunk, optional usage chunk, `[DONE]`; a failure after the headers becomes one error
 * chunk and `[DONE]`). A client that disconnects cancels the generation. A `response_format`
 * other than text runs through the structured-output layer (src/engine/structured_output.ts).
 */
import { ignoredParamsHeader } from "../http/protocol_stream.ts";
import type { Context } from "hono";
import { startStructured } from "../engine/structured_output.ts";
import { fromResponseFormat } from "../chat/structured_format.ts";
import type { ChatGeneration, ChatService } from "../engine/types.ts";
import { collectReply } from "../http/reply.ts";
import type { Logger } from "../log.ts";
import { readJson } from "../http/json_body.ts";
import { toChatRequest } from "./chat_request.ts";
import { openAiEventStream } from "./event_stream.ts";
import {
  chunk,
  completion,
  deltaChunkWriter,
  type ResponseMeta,
  toolCallsWire,
  usageChunk,
} from "./chat_wire.ts";

export interface ChatRouteDeps {
  service: ChatService;
  log: Logger;
  keepAliveMs: number;
  /** Cut off a streaming client that stops reading for this long (ms). */
  writeStallMs?: number;
  /** Most messages one request may hold (`max_messages`); unbounded when absent. */
  maxMessages?: number;
  /** Injected clock (seconds) for `created`. */
  now: () => number;
}

export function chatCompletionsHandler(deps: ChatRouteDeps) {
  return async (c: Context): Promise<Response> => {
    const requestId = c.get("requestId") as string;
    const body = await readJson(c);
    const parsed = toChatRequest(body, requestId, deps.maxMessages);
    const format = fromResponseFormat((body as { response_format?: unknown }).response_format);
    const signal = c.req.raw.signal;
    const gen = await startStructured(deps.service, parsed.request, format, {
      param: "response_format",
    }, signal);
    const meta: ResponseMeta = {
      id: `chatcmpl-${requestId}`,
      created: deps.now(),
      model: gen.model,
    };
    const headers = ignoredParamsHeader(gen, parsed.ignored, deps.log, "chat");
    if (parsed.stream) return streamResponse(gen, meta, parsed.includeUsage, headers, deps);

    const reply = await collectReply(gen, signal);
    return c.json(
      completion(
        meta,
        reply.content.trim(),
        reply.reasoning.trim(),
        reply.finishReason,
        reply.usage,
        reply.toolCalls,
      ),
      200,
      headers,
    );
  };
}

function streamResponse(
  gen: ChatGeneration,
  meta: ResponseMeta,
  includeUsage: boolean,
  headers: Record<string, string>,
  deps: ChatRouteDeps,
): Response {
  const delta = deltaChunkWriter(meta, includeUsage);
  return openAiEventStream(gen, {
    leading: [JSON.stringify(chunk(meta, { role: "assistant", content: "" }, null, includeUsage))],
    delta: (event) =>
      event.type === "content"
        ? delta("content", event.text)
        : event.type === "reasoning"
        ? delta("reasoning_content", event.text)
        : JSON.stringify(
          chunk(meta, { tool_calls: toolCallsWire(event.calls, true) }, null, includeUsage),
        ),
    done: (event) => [
      JSON.stringify(chunk(meta, {}, event.finishReason, includeUsage)),
      ...(includeUsage ? [JSON.stringify(usageChunk(meta, event.usage))] : []),
    ],
  }, {
    log: deps.log,
    component: "chat",
    keepAliveMs: deps.keepAliveMs,
    writeStallMs: deps.writeStallMs,
    headers,
  });
}
