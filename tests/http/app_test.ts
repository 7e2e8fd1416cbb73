import assert from "node:assert/strict";
import { GenerationTimeoutError, ServerBusyError } from "../../src/errors.ts";
import { fakeApp } from "../support/fake_service.ts";
import { readSse } from "../support/server.ts";

function setup(maxBodyBytes = 1024 * 1024) {
  return fakeApp({ maxBodyBytes });
}

const USER = [{ role: "user", content: "Hi" }];

Deno.test("POST /v1/chat/completions returns an OpenAI completion object", async () => {
  const { post } = setup();
  const res = await post("/v1/chat/completions", { model: "qwen3-1.7b", messages: USER });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.match(body.id, /^chatcmpl-/);
  assert.equal(body.object, "chat.completion");
  assert.equal(body.created, 1_700_000_000);
  assert.equal(body.model, "qwen3-1.7b");
  assert.deepEqual(body.choices, [{
    index: 0,
    message: { role: "assistant", content: "Hello world", reasoning_content: "thinking" },
    logprobs: null,
    finish_reason: "stop",
  }]);
  assert.deepEqual(body.usage, { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  assert.ok(res.headers.get("x-request-id"));
});

Deno.test("POST /v1/chat/completions streams role, deltas, finish, usage and [DONE]", async () => {
  const { post } = setup();
  const res = await post("/v1/chat/completions", {
    model: "phi",
    stream: true,
    stream_options: { include_usage: true },
    messages: USER,
  });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("cache-control"), "no-cache");
  const { data } = await readSse(res);
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  assert.equal(data.at(-1), "[DONE]");
  assert.deepEqual(chunks.map((c) => c.choices[0]?.delta ?? "usage"), [
    { role: "assistant", content: "" },
    { reasoning_content: "thinking" },
    { content: "Hello" },
    { content: " world" },
    {},
    "usage",
  ]);
  assert.equal(chunks[4].choices[0].finish_reason, "stop");
  assert.deepEqual(chunks[5].choices, []);
  assert.equal(chunks[5].usage.total_tokens, 8);
  assert.ok(chunks.slice(0, 5).every((c) => c.usage === null));
  assert.ok(chunks.every((c) => c.model === "phi-3-mini-4k-instruct" && c.id === chunks[0].id));
});

Deno.test("streaming without include_usage has no usage field or chunk", async () => {
  const { post } = setup();
  const res = await post("/v1/chat/completions", { model: "phi", stream: true, messages: USER });
  const { data } = await readSse(res);
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  assert.ok(chunks.every((c) => !("usage" in c)));
  assert.equal(chunks.length, 5);
});

Deno.test("an error after the headers becomes one error chunk then [DONE]", async () => {
  const { service, post } = setup();
  service.script = [
    { type: "content", text: "partial" },
    { type: "error", error: new GenerationTimeoutError("No token within 1s") },
  ];
  const { data } = await readSse(
    await post("/v1/chat/completions", { model: "phi", stream: true, messages: USER }),
  );
  assert.equal(data.at(-1), "[DONE]");
  const err = JSON.parse(data.at(-2)!);
  assert.equal(err.error.code, "timeout");
  assert.match(err.error.message, /No token/);
  assert.ok(!data.some((d) => d !== "[DONE]" && JSON.parse(d).choices?.[0]?.finish_reason));
});

Deno.test("a non-streaming generation error maps to its HTTP status", async () => {
  const { service, post } = setup();
  service.script = [{ type: "error", error: new GenerationTimeoutError("too slow") }];
  const res = await post("/v1/chat/completions", { model: "phi", messages: USER });
  assert.equal(res.status, 504);
  assert.equal((await res.json()).error.type, "server_error");
});

Deno.test("a busy engine answers 503 with Retry-After and an OpenAI body", async () => {
  const { service, post } = setup();
  service.startError = new ServerBusyError("busy", 7);
  const res = await post("/v1/chat/completions", { model: "phi", messages: USER });
  assert.equal(res.status, 503);
  assert.equal(res.headers.get("retry-after"), "7");
  assert.deepEqual(Object.keys((await res.json()).error).sort(), [
    "code",
    "message",
    "param",
    "type",
  ]);
});

Deno.test("chat request validation", async (t) => {
  const rows: [string, unknown, number, string | null][] = [
    ["malformed JSON", "{", 400, null],
    ["empty body", "", 400, null],
    ["array body", "[]", 400, null],
    ["missing model", { messages: USER }, 400, "model"],
    ["empty model", { model: " ", messages: USER }, 400, "model"],
    ["missing messages", { model: "phi" }, 400, "messages"],
    ["empty messages", { model: "phi", messages: [] }, 400, "messages"],
    ["message not an object", { model: "phi", messages: ["hi"] }, 400, "messages[0]"],
    [
      "unknown role",
      { model: "phi", messages: [{ role: "bot", content: "x" }] },
      400,
      "messages[0].role",
    ],
    [
      "numeric content",
      { model: "phi", messages: [{ role: "user", content: 5 }] },
      400,
      "messages[0].content",
    ],
    ["stream not boolean", { model: "phi", stream: "yes", messages: USER }, 400, "stream"],
    ["n = 2", { model: "phi", n: 2, messages: USER }, 400, "n"],
    [
      "temperature out of range",
      { model: "phi", temperature: 5, messages: USER },
      400,
      "temperature",
    ],
    ["max_tokens zero", { model: "phi", max_tokens: 0, messages: USER }, 400, "max_tokens"],
    [
      "stop list too long",
      { model: "phi", stop: ["a", "b", "c", "d", "e"], messages: USER },
      400,
      "stop",
    ],
    ["unknown model", { model: "gpt-4", messages: USER }, 404, "model"],
  ];
  for (const [name, body, status, param] of rows) {
    await t.step(name, async () => {
      const { post } = setup();
      const res = await post("/v1/chat/completions", body);
      assert.equal(res.status, status);
      const json = await res.json();
      assert.equal(json.error.param, param);
      assert.equal(typeof json.error.message, "string");
      assert.ok(json.error.type);
    });
  }
});

Deno.test("chat requests are converted: content parts, thinking switches, stop, limits", async () => {
  const { service, post } = setup();
  await post("/v1/chat/completions", {
    model: "qwen3-1.7b",
    max_completion_tokens: 64,
    max_tokens: 10,
    stop: "END",
    temperature: 0.3,
    unknown_field: { anything: true },
    chat_template_kwargs: { enable_thinking: false },
    messages: [
      { role: "developer", content: "Be brief." },
      {
        role: "user",
        content: [{ type: "text", text: "Describe" }, {
          type: "image_url",
          image_url: { url: "data:x" },
        }, { type: "text", text: "this" }],
      },
      { role: "assistant", content: null },
      { role: "user", content: "ok" },
    ],
  });
  const req = service.requests[0];
  assert.deepEqual(req.messages, [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Describe this", images: [{ kind: "url", url: "data:x" }] },
    { role: "assistant", content: "" },
    { role: "user", content: "ok" },
  ]);
  assert.equal(req.maxTokens, 64);
  assert.deepEqual(req.stop, ["END"]);
  assert.equal(req.enableThinking, false);
  assert.deepEqual(req.sampling, { temperature: 0.3 });

  await post("/v1/chat/completions", { model: "phi", reasoning_effort: "none", messages: USER });
  assert.equal(service.requests[1].enableThinking, false);
});

Deno.test("ignored per-request parameters are reported in a header", async () => {
  const { service, post } = setup();
  service.ignoredParams = ["temperature"];
  const res = await post("/v1/chat/completions", {
    model: "phi",
    messages: [{
      role: "user",
      // An audio part is dropped (image_url parts are passed on, for vision models).
      content: [{ type: "input_audio", input_audio: { data: "x" } }, { type: "text", text: "hi" }],
    }],
  });
  assert.equal(res.headers.get("x-rkllm-ignored-params"), "temperature, image_parts");
  await res.body?.cancel();
});

Deno.test("model routes list, show, select and unload", async () => {
  const { app, post } = setup();
  const list = await (await app.request("/v1/models")).json();
  assert.equal(list.object, "list");
  assert.deepEqual(list.data.map((m: { id: string }) => m.id), [
    "qwen3-1.7b",
    "phi-3-mini-4k-instruct",
  ]);
  assert.equal(list.data[0].owned_by, "rkllm");
  assert.equal(list.data[0].created, 1_700_000_000);

  const one = await (await app.request("/v1/models/phi")).json();
  assert.equal(one.id, "phi-3-mini-4k-instruct");
  const missing = await app.request("/v1/models/nope");
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error.message, /qwen3-1\.7b/);

  assert.deepEqual(await (await post("/v1/models/select", { model: "PHI" })).json(), {
    status: "ok",
    model: "phi-3-mini-4k-instruct",
  });
  assert.equal((await post("/v1/models/select", {})).status, 400);
  assert.equal((await post("/v1/models/select", { model: "x" })).status, 404);
  const health = await (await app.request("/health")).json();
  assert.equal(health.current_model, "phi-3-mini-4k-instruct");
  assert.equal(health.model_loaded, true);
  assert.deepEqual(await (await post("/v1/models/unload", {})).json(), {
    status: "ok",
    unloaded: "phi-3-mini-4k-instruct",
  });
  assert.equal((await (await post("/v1/models/unload", {})).json()).unloaded, null);
});

Deno.test("paths without /v1 work, unknown routes are JSON 404s, CORS is open", async () => {
  const { app } = setup();
  assert.equal((await app.request("/models")).status, 200);
  const res = await app.request("/v1/nothing");
  assert.equal(res.status, 404);
  assert.equal((await res.json()).error.code, "not_found");
  const pre = await app.request("/v1/chat/completions", {
    method: "OPTIONS",
    headers: { Origin: "http://webui", "Access-Control-Request-Method": "POST" },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get("access-control-allow-origin"), "*");
});

Deno.test("bodies over the limit get a JSON 413", async () => {
  const { post } = setup(1000);
  const res = await post("/v1/chat/completions", {
    model: "phi",
    messages: [{ role: "user", content: "x".repeat(5000) }],
  });
  assert.equal(res.status, 413);
  assert.equal((await res.json()).error.code, "request_too_large");
});

Deno.test("deltaChunkWriter() produces exactly what JSON.stringify(chunk()) does", async () => {
  const { chunk, deltaChunkWriter } = await import("../../src/openai/chat_wire.ts");
  const meta = { id: "chatcmpl-1", created: 1, model: 'm"odel' };
  for (const usage of [false, true]) {
    const write = deltaChunkWriter(meta, usage);
    for (
      const text of ["plain", 'quote " and \\ backslash', "line\nbreak", "😀 é \u0000 \u2028", ""]
    ) {
      for (const field of ["content", "reasoning_content"] as const) {
        assert.equal(
          write(field, text),
          JSON.stringify(chunk(meta, { [field]: text }, null, usage)),
        );
      }
    }
  }
});
