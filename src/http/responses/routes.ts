/**
 * `POST /responses` (mounted under /v1): translates the request to Chat Completions, runs it
 * through the server's own chat handler (`deps.chat`, so KV reuse, RAG and tasks are the same),
 * and translates the JSON answer or the SSE stream back. Chat errors keep their OpenAI body and
 * status, which is also the Responses API's error shape.
 */
import { SSE_HEADERS } from "../sse.ts";
import { Hono } from "hono";
import { readJson } from "../json_body.ts";
import { streamResponse } from "../stream_body.ts";
import { type ChatCall, forwardHeaders, passedHeaders, runChat } from "../chat_bridge/chat_wire.ts";
import { toChatBody } from "./request.ts";
import { fromCompletion } from "./response.ts";
import { type ResponsesEvent, responsesEvents } from "./stream.ts";

export interface ResponsesDeps {
  chat: ChatCall;
  now?: () => number;
}

const encoder = new TextEncoder();

function frame(e: ResponsesEvent): Uint8Array {
  return encoder.encode(
    e.type === "keepalive"
      ? ": keep-alive\n\n"
      : `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`,
  );
}

export function responsesRoutes(deps: ResponsesDeps): Hono<{ Variables: { requestId?: string } }> {
  // The request id the server app assigned, when mounted in it.
  const app = new Hono<{ Variables: { requestId?: string } }>();
  const now = deps.now ?? Date.now;
  app.post("/responses", async (c) => {
    const translated = toChatBody(await readJson(c));
    const signal = c.req.raw.signal;
    const outcome = await runChat(
      deps.chat,
      translated.chat,
      signal,
      forwardHeaders(c.req.raw.headers, c.get("requestId")),
    );
    if (outcome.kind === "failure") {
      return c.json(
        { error: { param: null, ...outcome.error } },
        outcome.status as 400,
        passedHeaders(outcome.headers),
      );
    }
    if (outcome.kind === "completion") {
      return c.json(
        fromCompletion(outcome.completion, translated.request),
        200,
        passedHeaders(outcome.headers),
      );
    }
    return streamResponse(responsesEvents(outcome.items, translated.request, now), {
      frame,
      headers: { ...SSE_HEADERS, ...passedHeaders(outcome.headers) },
    });
  });
  return app;
}
