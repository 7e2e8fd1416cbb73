import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { silentLogger } from "../../src/log.ts";
import { toChatBody } from "../../src/http/anthropic/request.ts";
import { anthropicEvents } from "../../src/http/anthropic/stream.ts";
import type { ChatStreamItem } from "../../src/http/chat_bridge/chat_wire.ts";
import { mockEngine } from "../support/engine.ts";

const CALL = '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>';
const TOOLS = [{
  name: "get_weather",
  description: "Get the weather",
  input_schema: { type: "object", properties: { city: { type: "string" } } },
}];

/** The real server app (with an API key) on the mock runtime, /v1/messages wired to its chat. */
async function withApp(
  reply: string,
  fn: (post: (body: unknown, key?: string) => Promise<Response>) => Promise<void>,
) {
  Deno.env.set("RKLLM_MOCK_REPLY", reply);
  const { engine, dispose } = await mockEngine({ "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" });
  const server = createApp({
    service: engine,
    log: silentLogger,
    keepAliveSeconds: 0,
    maxBodyBytes: 1 << 20,
    runtime: "mock",
    apiKey: "sekret",
  });
  const post = (body: unknown, key = "sekret") =>
    Promise.resolve(server.request("/v1/messages", {
      method: "POST",
      headers: { "content-type": "application/json", "x-api-key": key },
      body: JSON.stringify(body),
    }));
  try {
    await fn(post);
  } finally {
    Deno.env.delete("RKLLM_MOCK_REPLY");
    await dispose();
  }
}

interface SseEvent {
  type: string;
  content_block?: { type: string; id: string; name?: string };
  delta?: { type?: string; partial_json?: string; stop_reason?: string };
  usage?: { output_tokens: number };
}

/** A minimal Anthropic SSE consumer: `event:` names must match the data's `type`. */
async function readEvents(res: Response): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for (const block of (await res.text()).split("\n\n")) {
    if (!block.trim()) continue;
    const event = block.match(/^event: (.+)$/m)?.[1];
    const data = JSON.parse(block.match(/^data: (.+)$/m)![1]);
    assert.equal(event, data.type);
    out.push(data);
  }
  return out;
}

Deno.test("anthropic e2e: a message with system, x-api-key, text block and usage", async () => {
  await withApp("Bonjour", async (post) => {
    const res = await post({
      model: "qwen3-1.7b",
      max_tokens: 64,
      system: [{ type: "text", text: "Be brief." }],
      messages: [{ role: "user", content: "Hello" }],
    });
    assert.equal(res.status, 200);
    const m = await res.json();
    assert.equal(m.type, "message");
    assert.match(m.id, /^msg_/);
    assert.deepEqual(m.content, [{ type: "text", text: "Bonjour" }]);
    assert.equal(m.stop_reason, "end_turn");
    assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0);
  });
});

Deno.test("anthropic e2e: a wrong key and a missing max_tokens are Anthropic-shaped errors", async () => {
  await withApp("x", async (post) => {
    const denied = await post({ model: "qwen3-1.7b", max_tokens: 8, messages: [] }, "wrong");
    assert.equal(denied.status, 401);
    assert.equal((await denied.json()).error.type, "authentication_error");
    const bad = await post({ model: "qwen3-1.7b", messages: [{ role: "user", content: "x" }] });
    assert.equal(bad.status, 400);
    const body = await bad.json();
    assert.equal(body.type, "error");
    assert.equal(body.error.type, "invalid_request_error");
    assert.match(body.error.message, /max_tokens/);
  });
});

Deno.test("anthropic e2e: a streamed tool_use round trip", async () => {
  await withApp(CALL, async (post) => {
    const res = await post({
      model: "qwen3-1.7b",
      max_tokens: 64,
      stream: true,
      tools: TOOLS,
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    const events = await readEvents(res);
    const types = events.map((e) => e.type);
    assert.deepEqual(types.slice(0, 2), ["message_start", "ping"]);
    assert.deepEqual(types.slice(-2), ["message_delta", "message_stop"]);
    const start = events.find((e) => e.type === "content_block_start")!;
    assert.equal(start.content_block!.type, "tool_use");
    assert.equal(start.content_block!.name, "get_weather");
    const json = events.filter((e) => e.delta?.type === "input_json_delta")
      .map((e) => e.delta!.partial_json).join("");
    assert.deepEqual(JSON.parse(json), { city: "Paris" });
    const delta = events.at(-2)!;
    assert.equal(delta.delta!.stop_reason, "tool_use");
    assert.ok(delta.usage!.output_tokens > 0);
    Deno.env.set("RKLLM_MOCK_REPLY", "It is 11 degrees.");
    const second = await post({
      model: "qwen3-1.7b",
      max_tokens: 64,
      tools: TOOLS,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        {
          role: "assistant",
          content: [{
            type: "tool_use",
            id: start.content_block!.id,
            name: "get_weather",
            input: { city: "Paris" },
          }],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: start.content_block!.id, content: "11 C" }],
        },
      ],
    });
    assert.deepEqual((await second.json()).content, [{ type: "text", text: "It is 11 degrees." }]);
  });
});

Deno.test("anthropic request → chat: blocks, tools, tool_choice, thinking, stop_sequences", () => {
  const { chat } = toChatBody({
    model: "m",
    max_tokens: 5,
    system: "sys",
    stop_sequences: ["END"],
    top_k: 3,
    thinking: { type: "enabled", budget_tokens: 100 },
    tool_choice: { type: "any" },
    tools: TOOLS,
    messages: [
      { role: "user", content: [{ type: "text", text: "a" }, { type: "image", source: {} }] },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "t", signature: "s" },
          { type: "text", text: "b" },
          { type: "tool_use", id: "tu1", name: "f", input: { x: 1 } },
        ],
      },
      {
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "tu1", content: "r", is_error: true }],
      },
    ],
  });
  assert.deepEqual(chat, {
    model: "m",
    max_tokens: 5,
    stream: false,
    stop: ["END"],
    top_k: 3,
    chat_template_kwargs: { enable_thinking: true },
    tool_choice: "required",
    tools: [{
      type: "function",
      function: {
        name: "get_weather",
        description: "Get the weather",
        parameters: TOOLS[0].input_schema,
      },
    }],
    messages: [
      { role: "system", content: "sys" },
      { role: "user", content: [{ type: "text", text: "a" }, { type: "image" }] },
      {
        role: "assistant",
        content: "b",
        tool_calls: [{
          id: "tu1",
          type: "function",
          function: { name: "f", arguments: '{"x":1}' },
        }],
      },
      { role: "tool", tool_call_id: "tu1", content: "Error: r" },
    ],
  });
});

Deno.test("anthropic stream: thinking then text blocks; length → max_tokens; error → error event", async () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatStreamItem => ({
    type: "chunk",
    chunk: {
      id: "chatcmpl-q",
      created: 1,
      model: "m",
      choices: [{ delta, finish_reason: finish }],
    },
  });
  const run = async (items: ChatStreamItem[]) => {
    const out = [];
    for await (
      const e of anthropicEvents((async function* () {
        yield* items;
      })())
    ) out.push(e);
    return out;
  };
  const ok = await run([
    chunk({ reasoning_content: "hm" }),
    chunk({ content: "\n\n" }),
    chunk({ content: "Hi" }),
    chunk({}, "length"),
  ]);
  assert.deepEqual(ok.map((e) => [e.type, (e.index as number) ?? null]), [
    ["message_start", null],
    ["ping", null],
    ["content_block_start", 0],
    ["content_block_delta", 0],
    ["content_block_stop", 0],
    ["content_block_start", 1],
    ["content_block_delta", 1],
    ["content_block_stop", 1],
    ["message_delta", null],
    ["message_stop", null],
  ]);
  assert.deepEqual(ok[6].delta, { type: "text_delta", text: "Hi" });
  assert.equal((ok[8].delta as { stop_reason: string }).stop_reason, "max_tokens");
  const failed = await run([
    chunk({ content: "a" }),
    { type: "error", error: { message: "boom", type: "server_error", code: null } },
  ]);
  assert.deepEqual(failed.at(-1), { type: "error", error: { type: "api_error", message: "boom" } });
});
