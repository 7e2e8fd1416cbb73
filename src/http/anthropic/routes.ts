/**
 * `POST /messages` (mounted under /v1): the Anthropic Messages API over the server's own chat
 * handler (`deps.chat`). Errors, including validation failures, are rendered in Anthropic's
 * shape here, since Anthropic clients do not read OpenAI's. `x-api-key` is forwarded as the
 * Bearer key.
 */
import { SSE_HEADERS } from "../sse.ts";
import { Hono } from "hono";
import { readJson } from "../json_body.ts";
import { streamResponse } from "../stream_body.ts";
import { type ChatCall, forwardHeaders, passedHeaders, runChat } from "../chat_bridge/chat_wire.ts";
import { toChatBody } from "./request.ts";
import { fromCompletion } from "./message.ts";
import { anthropicErrorBody as errorBody } from "../errors.ts";
import { type AnthropicEvent, anthropicEvents } from "./stream.ts";

export interface AnthropicDeps {
  chat: ChatCall;
}

const encoder = new TextEncoder();

function frame(e: AnthropicEvent): Uint8Array {
  return encoder.encode(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
}

/** The Bearer header the chat handler expects, from `x-api-key` when that is what was sent. */
export function keyHeaders(incoming: Headers, requestId?: string): Headers {
  const out = forwardHeaders(incoming, requestId ?? incoming.get("x-request-id"));
  const key = incoming.get("x-api-key");
  if (key && !out.has("authorization")) out.set("Authorization", `Bearer ${key}`);
  return out;
}

export function anthropicRoutes(deps: AnthropicDeps): Hono<{ Variables: { requestId?: string } }> {
  // The request id the server app assigned, when mounted in it.
  const app = new Hono<{ Variables: { requestId?: string } }>();
  app.post("/messages", async (c) => {
    const translated = toChatBody(await readJson(c));
    const outcome = await runChat(
      deps.chat,
      translated.chat,
      c.req.raw.signal,
      keyHeaders(c.req.raw.headers, c.get("requestId")),
    );
    if (outcome.kind === "failure") {
      return c.json(
        errorBody(outcome.status, outcome.error.message),
        outcome.status as 400,
        passedHeaders(outcome.headers),
      );
    }
    if (outcome.kind === "completion") {
      return c.json(fromCompletion(outcome.completion), 200, passedHeaders(outcome.headers));
    }
    return streamResponse(anthropicEvents(outcome.items), {
      frame,
      headers: { ...SSE_HEADERS, ...passedHeaders(outcome.headers) },
    });
  });
  return app;
}
