/**
 * `POST /v1/completions` (legacy text completion). The runtime always applies the model's chat
 * template, so the prompt runs as one user message, with thinking off; the answer comes back
 * as `text_completion` objects (streamed as SSE when asked).
 */
import { ignoredParamsHeader } from "../http/protocol_stream.ts";
import type { Context } from "hono";
import { z } from "zod";
import type { ChatService } from "../engine/types.ts";
import { readJson } from "../http/json_body.ts";
import type { Logger } from "../log.ts";
import { chatRequestSchema, toChatRequest } from "./chat_request.ts";
import { parseBody } from "../http/validation.ts";
import { collectReply } from "../http/reply.ts";
import { SYSTEM_FINGERPRINT, usageWire } from "./chat_wire.ts";
import { openAiEventStream } from "./event_stream.ts";

const completionsSchema = z.looseObject({
  ...chatRequestSchema.pick({
    model: true,
    stream: true,
    stream_options: true,
    max_tokens: true,
    stop: true,
    seed: true,
    temperature: true,
    top_p: true,
    top_k: true,
    repeat_penalty: true,
    frequency_penalty: true,
    presence_penalty: true,
  }).shape,
  prompt: z.union([z.string(), z.array(z.string()).min(1)], {
    error: "must be a string or a list of strings (token arrays are not supported)",
  }),
  n: z.number().int().min(1).max(1, { error: "only n=1 is supported" }).nullish(),
  best_of: z.number().int().min(1).max(1, { error: "only best_of=1 is supported" }).nullish(),
  echo: z.boolean().nullish(),
  suffix: z.null({ error: "suffix (fill-in-the-middle) is not supported" }).optional(),
  logprobs: z.null({ error: "logprobs are not available from the NPU runtime" }).optional(),
});

export interface CompletionsDeps {
  service: ChatService;
  log: Logger;
  keepAliveMs: number;
  /** Cut off a streaming client that stops reading for this long (ms). */
  writeStallMs?: number;
  now: () => number;
}

export function completionsHandler(deps: CompletionsDeps) {
  return async (c: Context): Promise<Response> => {
    const requestId = c.get("requestId") as string;
    const body = parseBody(completionsSchema, await readJson(c));
    const prompt = typeof body.prompt === "string" ? body.prompt : body.prompt.join("\n");
    const { prompt: _p, echo: _e, ...rest } = body;
    const parsed = toChatRequest(
      { ...rest, messages: [{ role: "user", content: prompt }], reasoning_effort: "none" },
      requestId,
    );
    const gen = await deps.service.start(parsed.request, c.req.raw.signal);
    const meta = { id: `cmpl-${requestId}`, created: deps.now(), model: gen.model };
    const base = { ...meta, object: "text_completion", system_fingerprint: SYSTEM_FINGERPRINT };
    const choice = (text: string, finish: string | null) => ({
      text,
      index: 0,
      logprobs: null,
      finish_reason: finish,
    });
    const headers = ignoredParamsHeader(gen, [], deps.log, "completions");
    const echo = body.echo ? prompt : "";

    if (!parsed.stream) {
      const reply = await collectReply(gen, c.req.raw.signal);
      return c.json(
        {
          ...base,
          choices: [choice(echo + reply.content, reply.finishReason)],
          usage: usageWire(reply.usage),
        },
        200,
        headers,
      );
    }

    return openAiEventStream(gen, {
      leading: echo ? [JSON.stringify({ ...base, choices: [choice(echo, null)] })] : [],
      delta: (event) =>
        event.type === "content"
          ? JSON.stringify({ ...base, choices: [choice(event.text, null)] })
          : null,
      done: (event) => [
        JSON.stringify({ ...base, choices: [choice("", event.finishReason)] }),
        ...(parsed.includeUsage
          ? [JSON.stringify({ ...base, choices: [], usage: usageWire(event.usage) })]
          : []),
      ],
    }, {
      log: deps.log,
      component: "completions",
      keepAliveMs: deps.keepAliveMs,
      writeStallMs: deps.writeStallMs,
      headers,
    });
  };
}
