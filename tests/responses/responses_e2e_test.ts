import assert from "node:assert/strict";
import { Hono } from "hono";
import OpenAI from "openai";
import { createApp } from "../../src/app.ts";
import { silentLogger } from "../../src/log.ts";
import { responsesRoutes } from "../../src/http/responses/routes.ts";
import { mockEngine } from "../support/engine.ts";
import { httpError, openAiErrorBody } from "../../src/http/errors.ts";

const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "Get the weather",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  strict: false,
};

/** The real server app on the mock runtime, with /v1/responses wired to its chat handler. */
async function withClient(reply: string, fn: (client: OpenAI) => Promise<void>): Promise<void> {
  Deno.env.set("RKLLM_MOCK_REPLY", reply);
  const { engine, dispose } = await mockEngine({ "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" });
  const server = createApp({
    service: engine,
    log: silentLogger,
    keepAliveSeconds: 0,
    maxBodyBytes: 1 << 20,
    runtime: "mock",
  });
  const app = new Hono();
  // As the server app renders errors thrown by its routes.
  app.onError((err, c) => {
    const e = httpError(err);
    return c.json(openAiErrorBody(e), e.status as 400);
  });
  app.route(
    "/v1",
    responsesRoutes({
      chat: (body, signal, headers) =>
        server.request("/v1/chat/completions", {
          method: "POST",
          body: JSON.stringify(body),
          headers,
          signal,
        }),
    }),
  );
  app.all("*", (c) => server.fetch(c.req.raw));
  const client = new OpenAI({
    baseURL: "http://rkllm.test/v1",
    apiKey: "x",
    fetch: (url, init) => Promise.resolve(app.request(String(url), init)),
  });
  try {
    await fn(client);
  } finally {
    Deno.env.delete("RKLLM_MOCK_REPLY");
    await dispose();
  }
}

Deno.test("responses e2e: openai SDK responses.create returns the model's text and usage", async () => {
  await withClient("Hello from the NPU", async (client) => {
    const r = await client.responses.create({
      model: "qwen3-1.7b",
      instructions: "Be brief.",
      input: "Say hello",
    });
    assert.equal(r.status, "completed");
    assert.equal(r.output_text, "Hello from the NPU");
    assert.match(r.id, /^resp_/);
    assert.ok((r.usage?.input_tokens ?? 0) > 0);
    assert.ok((r.usage?.output_tokens ?? 0) > 0);
  });
});

Deno.test("responses e2e: a streamed answer arrives as output_text deltas and response.completed", async () => {
  await withClient("One two three", async (client) => {
    const stream = await client.responses.create({
      model: "qwen3-1.7b",
      input: [{ role: "user", content: "Count" }],
      stream: true,
    });
    const types: string[] = [];
    let text = "";
    let final: OpenAI.Responses.Response | null = null;
    for await (const e of stream) {
      types.push(e.type);
      if (e.type === "response.output_text.delta") text += e.delta;
      if (e.type === "response.completed") final = e.response;
    }
    assert.equal(text, "One two three");
    assert.deepEqual(types.slice(0, 4), [
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    assert.equal(types.at(-1), "response.completed");
    assert.ok(final);
    assert.equal(final.usage!.total_tokens > 0, true);
    assert.equal(
      (final.output[0] as OpenAI.Responses.ResponseOutputMessage).content[0].type,
      "output_text",
    );
  });
});

Deno.test("responses e2e: a function tool round trip (streamed call, then its output as input)", async () => {
  await withClient(CALL, async (client) => {
    const stream = await client.responses.create({
      model: "qwen3-1.7b",
      input: "Weather in Paris?",
      tools: [TOOL],
      stream: true,
    });
    let call: OpenAI.Responses.ResponseFunctionToolCall | null = null;
    let args = "";
    for await (const e of stream) {
      if (e.type === "response.function_call_arguments.delta") args += e.delta;
      if (e.type === "response.output_item.done" && e.item.type === "function_call") call = e.item;
    }
    assert.ok(call);
    assert.equal(call.name, "get_weather");
    assert.deepEqual(JSON.parse(call.arguments), { city: "Paris" });
    assert.equal(args, call.arguments);
    Deno.env.set("RKLLM_MOCK_REPLY", "It is 11 degrees.");
    const second = await client.responses.create({
      model: "qwen3-1.7b",
      tools: [TOOL],
      input: [
        { role: "user", content: "Weather in Paris?" },
        {
          type: "function_call",
          call_id: call.call_id,
          name: call.name,
          arguments: call.arguments,
        },
        { type: "function_call_output", call_id: call.call_id, output: '{"temperature_c": 11}' },
      ],
    });
    assert.equal(second.output_text, "It is 11 degrees.");
  });
});

Deno.test("responses e2e: previous_response_id is a clear 400 (no server state)", async () => {
  await withClient("x", async (client) => {
    await assert.rejects(
      client.responses.create({ model: "qwen3-1.7b", input: "hi", previous_response_id: "resp_1" }),
      (err: unknown) =>
        err instanceof OpenAI.BadRequestError && /no response state/.test(err.message),
    );
  });
});
