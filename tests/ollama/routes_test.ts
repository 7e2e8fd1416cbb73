import assert from "node:assert/strict";
import { Hono } from "hono";
import { createApp } from "../../src/app.ts";
import type { ChatEvent, ChatGeneration, ChatRequest } from "../../src/engine/types.ts";
import { GenerationTimeoutError, ServerBusyError } from "../../src/errors.ts";
import { silentLogger } from "../../src/log.ts";
import { NO_EXPIRY, ollamaRoutes } from "../../src/ollama/routes.ts";
import { fakeApp, FakeService } from "../support/fake_service.ts";

function setup(maxBodyBytes = 1024 * 1024) {
  return fakeApp({ maxBodyBytes });
}

/** Every line of an NDJSON body, parsed; asserts the framing (one object per `\n`). */
async function readNdjson(res: Response): Promise<Record<string, unknown>[]> {
  const raw = await res.text();
  assert.ok(raw.endsWith("\n"), "the last line ends with a newline");
  return raw.slice(0, -1).split("\n").map((line) => JSON.parse(line));
}

const USER = [{ role: "user", content: "Hi" }];
const CREATED = "2023-11-14T22:13:20.000Z";
const STAT_FIELDS = [
  "total_duration",
  "load_duration",
  "prompt_eval_count",
  "prompt_eval_duration",
  "eval_count",
  "eval_duration",
];

Deno.test("GET /api/version answers a plain x.y.z, as Open WebUI parses it", async () => {
  const { app } = setup();
  const res = await app.request("/api/version");
  assert.equal(res.status, 200);
  const { version } = await res.json();
  assert.equal(version, "0.9.0");
  // Open WebUI: drop a leading "v" and anything after "-", then integers separated by dots.
  const parts = version.replace(/^v/, "").split("-")[0].split(".").map(Number);
  assert.ok(parts.every(Number.isInteger), `${version} parses as integers`);
});

Deno.test("GET /api/tags lists every chat model with Ollama's fields", async () => {
  const { app } = setup();
  const body = await (await app.request("/api/tags")).json();
  assert.deepEqual(body.models.map((m: { name: string }) => m.name), [
    "qwen3-1.7b",
    "phi-3-mini-4k-instruct",
  ]);
  const [qwen] = body.models;
  assert.deepEqual(Object.keys(qwen).sort(), [
    "details",
    "digest",
    "model",
    "modified_at",
    "name",
    "size",
  ]);
  assert.equal(qwen.model, "qwen3-1.7b");
  assert.equal(qwen.modified_at, CREATED);
  assert.match(qwen.digest, /^[0-9a-f]{64}$/);
  assert.deepEqual(qwen.details.families, ["qwen3"]);
  assert.equal(qwen.details.format, "rkllm");
});

Deno.test("POST /api/show resolves model, name, aliases, :latest and name:tag", async () => {
  const { post } = setup();
  for (
    const body of [{ model: "qwen3-1.7b" }, { name: "qwen3-1.7b:latest" }, { model: "qwen3:1.7b" }]
  ) {
    const res = await post("/api/show", body);
    assert.equal(res.status, 200, JSON.stringify(body));
    const show = await res.json();
    assert.deepEqual(show.capabilities, ["completion", "tools", "thinking"]);
    assert.equal(show.model_info["qwen3.context_length"], 4096);
    assert.equal(show.details.parameter_size, "1.7B");
  }
  const phi = await (await post("/api/show", { model: "phi" })).json();
  assert.equal(phi.model_info["general.basename"], "phi-3-mini-4k-instruct");
});

Deno.test("POST /api/show answers Ollama error bodies for unknown and missing models", async () => {
  const { post } = setup();
  const unknown = await post("/api/show", { model: "llama3:8b" });
  assert.equal(unknown.status, 404);
  const body = await unknown.json();
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.match(body.error, /llama3:8b.*qwen3-1\.7b/);
  const missing = await post("/api/show", {});
  assert.equal(missing.status, 400);
  assert.match((await missing.json()).error, /'model'/);
});

Deno.test("GET /api/ps lists the loaded model, or nothing", async () => {
  const { app, service } = setup();
  assert.deepEqual(await (await app.request("/api/ps")).json(), { models: [] });
  service.loaded = "phi-3-mini-4k-instruct";
  const { models } = await (await app.request("/api/ps")).json();
  assert.equal(models.length, 1);
  assert.equal(models[0].name, "phi-3-mini-4k-instruct");
  assert.equal(models[0].expires_at, NO_EXPIRY);
  assert.equal(models[0].size_vram, models[0].size);
  assert.equal(models[0].context_length, 4096);
});

Deno.test("POST /api/chat streams NDJSON by default: thinking, content, then done", async () => {
  const { post, service } = setup();
  const res = await post("/api/chat", { model: "qwen3-1.7b:latest", messages: USER });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const lines = await readNdjson(res);
  assert.deepEqual(lines.map((l) => l.message), [
    { role: "assistant", content: "", thinking: "thinking" },
    { role: "assistant", content: "Hello" },
    { role: "assistant", content: " world" },
    { role: "assistant", content: "" },
  ]);
  assert.deepEqual(lines.map((l) => l.done), [false, false, false, true]);
  for (const line of lines) {
    assert.equal(line.model, "qwen3-1.7b");
    assert.equal(line.created_at, CREATED);
  }
  const last = lines.at(-1)!;
  assert.equal(last.done_reason, "stop");
  assert.equal(last.prompt_eval_count, 5);
  assert.equal(last.eval_count, 3);
  for (const field of STAT_FIELDS) {
    assert.ok(Number.isInteger(last[field]) && (last[field] as number) >= 0, field);
  }
  assert.ok(lines.slice(0, -1).every((l) => !("done_reason" in l)));
  assert.equal(service.requests[0].model, "qwen3-1.7b");
});

Deno.test("POST /api/chat with stream:false answers one object with the whole message", async () => {
  const { post } = setup();
  const res = await post("/api/chat", { model: "qwen3-1.7b", stream: false, messages: USER });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  const body = await res.json();
  assert.deepEqual(body.message, {
    role: "assistant",
    content: "Hello world",
    thinking: "thinking",
  });
  assert.equal(body.done, true);
  assert.equal(body.done_reason, "stop");
  assert.equal(body.model, "qwen3-1.7b");
  for (const field of STAT_FIELDS) assert.equal(typeof body[field], "number", field);
});

Deno.test("POST /api/chat converts options, think and tools for the engine", async () => {
  const { post, service } = setup();
  await post("/api/chat", {
    model: "qwen3:1.7b",
    stream: false,
    think: false,
    options: { temperature: 0.2, top_k: 9, num_predict: 12, stop: ["END"], num_ctx: 2048 },
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    messages: [
      ...USER,
      { role: "assistant", content: "", tool_calls: [{ function: { name: "f", arguments: {} } }] },
      { role: "tool", content: "42", tool_name: "f" },
    ],
  });
  const req: ChatRequest = service.requests[0];
  assert.equal(req.model, "qwen3-1.7b");
  assert.equal(req.maxTokens, 12);
  assert.deepEqual(req.stop, ["END"]);
  assert.equal(req.enableThinking, false);
  assert.deepEqual(req.sampling, { temperature: 0.2, top_k: 9 });
  assert.deepEqual(req.tools, [{
    name: "f",
    description: undefined,
    parameters: { type: "object" },
  }]);
  assert.deepEqual(req.messages.slice(1), [
    { role: "assistant", content: "", toolCalls: [{ id: "call_1_0", name: "f", arguments: "{}" }] },
    { role: "tool", content: "42", toolCallId: "call_1_0" },
  ]);
});

Deno.test("POST /api/chat renders tool calls with object arguments and done_reason stop", async () => {
  const { post, service } = setup();
  service.script = [
    { type: "tool_calls", calls: [{ id: "call_ab", name: "get_weather", arguments: '{"c":"X"}' }] },
    {
      type: "done",
      finishReason: "tool_calls",
      usage: { promptTokens: 9, completionTokens: 4, totalTokens: 13 },
    },
  ];
  const calls = [{
    id: "call_ab",
    function: { index: 0, name: "get_weather", arguments: { c: "X" } },
  }];
  const lines = await readNdjson(await post("/api/chat", { model: "phi", messages: USER }));
  assert.deepEqual(lines[0].message, { role: "assistant", content: "", tool_calls: calls });
  assert.equal(lines[1].done_reason, "stop");
  const whole = await (await post("/api/chat", { model: "phi", stream: false, messages: USER }))
    .json();
  assert.deepEqual(whole.message, { role: "assistant", content: "", tool_calls: calls });
  assert.equal(whole.done_reason, "stop");
});

Deno.test("POST /api/chat reports length and ignored features (format is enforced, not ignored)", async () => {
  const { post, service } = setup();
  service.ignoredParams = ["temperature"];
  service.script = [
    { type: "content", text: "Hel" },
    {
      type: "done",
      finishReason: "length",
      usage: { promptTokens: 2, completionTokens: 1, totalTokens: 3 },
    },
  ];
  const res = await post("/api/chat", {
    model: "phi",
    stream: false,
    options: { temperature: 1.5 },
    messages: [{ role: "user", content: "Describe", images: ["iVBORw0KGgo="] }],
  });
  assert.equal(res.headers.get("x-rkllm-ignored-params"), "temperature");
  const body = await res.json();
  assert.equal(body.done_reason, "length");
  assert.equal(body.message.content, "Hel");
});

Deno.test("POST /api/chat: an error after the stream started is one final error line", async () => {
  const { post, service } = setup();
  service.script = [
    { type: "content", text: "partial" },
    { type: "error", error: new GenerationTimeoutError("No token within 1s") },
  ];
  const lines = await readNdjson(await post("/api/chat", { model: "phi", messages: USER }));
  assert.equal(lines.length, 2);
  assert.deepEqual(lines[1], { error: "No token within 1s" });
  assert.ok(!lines.some((l) => l.done === true));
});

Deno.test("POST /api/chat: errors before any output keep their HTTP status", async () => {
  const { post, service } = setup();
  const unknown = await post("/api/chat", { model: "nope", messages: USER });
  assert.equal(unknown.status, 404);
  assert.match((await unknown.json()).error, /'nope' does not exist/);

  service.script = [{ type: "error", error: new GenerationTimeoutError("too slow") }];
  const timeout = await post("/api/chat", { model: "phi", stream: false, messages: USER });
  assert.equal(timeout.status, 504);
  assert.deepEqual(await timeout.json(), { error: "too slow" });

  service.startError = new ServerBusyError("busy", 7);
  const busy = await post("/api/chat", { model: "phi", messages: USER });
  assert.equal(busy.status, 503);
  assert.equal(busy.headers.get("retry-after"), "7");
  assert.deepEqual(await busy.json(), { error: "busy" });
});

Deno.test("POST /api/chat: bad bodies are 400 with a message naming the field", async () => {
  const { post, service } = setup();
  const cases: [unknown, RegExp][] = [
    ["{not json", /not valid JSON/],
    ["[1]", /JSON object/],
    [{ messages: USER }, /'model'/],
    [{ model: "phi", messages: "hi" }, /'messages': must be an array/],
    [{ model: "phi", messages: [{ role: "robot", content: "x" }] }, /'messages\[0\]\.role'/],
    [{ model: "phi", messages: [{ role: "user", content: 5 }] }, /'messages\[0\]\.content'/],
    [{ model: "phi", messages: USER, stream: "yes" }, /'stream': must be true or false/],
    [{ model: "phi", messages: USER, options: { top_p: 3 } }, /'options\.top_p'/],
    [{ model: "phi", messages: USER, options: { num_predict: 1.5 } }, /'options\.num_predict'/],
    [{ model: "phi", messages: USER, options: "fast" }, /'options': must be an object/],
    [{ model: "phi", messages: USER, think: "max" }, /'think'/],
    [{ model: "phi", messages: USER, tools: [{ function: { name: "a b" } }] }, /'tools\[0\]/],
  ];
  for (const [body, message] of cases) {
    const res = await post("/api/chat", body);
    assert.equal(res.status, 400, JSON.stringify(body));
    const json = await res.json();
    assert.deepEqual(Object.keys(json), ["error"]);
    assert.match(json.error, message, JSON.stringify(body));
  }
  assert.equal(service.requests.length, 0);
});

Deno.test("POST /api/chat without messages loads the model; keep_alive 0 unloads it", async () => {
  const { post, service } = setup();
  const load = await readNdjson(await post("/api/chat", { model: "phi:latest" }));
  assert.deepEqual(load, [{
    model: "phi-3-mini-4k-instruct",
    created_at: CREATED,
    message: { role: "assistant", content: "" },
    done_reason: "load",
    done: true,
  }]);
  assert.equal(service.loaded, "phi-3-mini-4k-instruct");

  // Unloading another model leaves the loaded one alone.
  const other = await post("/api/chat", { model: "qwen3-1.7b", messages: [], keep_alive: 0 });
  assert.equal((await readNdjson(other))[0].done_reason, "unload");
  assert.equal(service.loaded, "phi-3-mini-4k-instruct");

  const unload = await post("/api/chat", { model: "phi", stream: false, keep_alive: "0s" });
  assert.equal((await unload.json()).done_reason, "unload");
  assert.equal(service.loaded, null);
  assert.equal(service.requests.length, 0);

  assert.equal((await post("/api/chat", { model: "nope" })).status, 404);
});

Deno.test("POST /api/generate streams response lines and a final line with context", async () => {
  const { post, service } = setup();
  const res = await post("/api/generate", {
    model: "qwen3-1.7b",
    system: "Be brief.",
    prompt: "Why?",
  });
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const lines = await readNdjson(res);
  assert.deepEqual(lines.map((l) => [l.response, l.thinking ?? null, l.done]), [
    ["", "thinking", false],
    ["Hello", null, false],
    [" world", null, false],
    ["", null, true],
  ]);
  const last = lines.at(-1)!;
  assert.deepEqual(last.context, []);
  assert.equal(last.done_reason, "stop");
  assert.equal(last.eval_count, 3);
  assert.deepEqual(service.requests[0].messages, [
    { role: "system", content: "Be brief." },
    { role: "user", content: "Why?" },
  ]);
});

Deno.test("POST /api/generate with stream:false answers the whole text", async () => {
  const { post } = setup();
  const res = await post("/api/generate", {
    model: "phi",
    prompt: "Why?",
    stream: false,
    raw: true,
  });
  assert.equal(res.headers.get("x-rkllm-ignored-params"), "raw");
  const body = await res.json();
  assert.equal(body.response, "Hello world");
  assert.equal(body.thinking, "thinking");
  assert.equal(body.done, true);
  assert.deepEqual(body.context, []);
  assert.equal(body.model, "phi-3-mini-4k-instruct");
});

Deno.test("POST /api/generate with an empty prompt only loads or unloads", async () => {
  const { post, service } = setup();
  const load =
    await (await post("/api/generate", { model: "qwen3:1.7b", prompt: "", stream: false }))
      .json();
  assert.deepEqual(load, {
    model: "qwen3-1.7b",
    created_at: CREATED,
    response: "",
    done_reason: "load",
    done: true,
  });
  assert.equal(service.loaded, "qwen3-1.7b");
  const unload = await readNdjson(
    await post("/api/generate", { model: "qwen3-1.7b", keep_alive: 0 }),
  );
  assert.equal(unload[0].done_reason, "unload");
  assert.equal(service.loaded, null);
  assert.equal(service.requests.length, 0);
  const bad = await post("/api/generate", { model: "qwen3-1.7b", prompt: 1 });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /'prompt': must be a string/);
});

/** A FakeService whose generations record whether their events iterator was closed. */
class TrackingService extends FakeService {
  closed = 0;
  override async start(req: ChatRequest): Promise<ChatGeneration> {
    const gen = await super.start(req);
    const events = gen.events;
    const onClose = () => this.closed++;
    async function* tracked(): AsyncGenerator<ChatEvent> {
      try {
        yield* events;
      } finally {
        onClose();
      }
    }
    return { ...gen, events: tracked() };
  }
}

Deno.test("a client that disconnects mid-stream cancels the generation and closes its events", async () => {
  const service = new TrackingService();
  service.delayMs = 20;
  service.script = [
    ...Array.from({ length: 50 }, (_, i): ChatEvent => ({ type: "content", text: `w${i} ` })),
    {
      type: "done",
      finishReason: "stop",
      usage: { promptTokens: 1, completionTokens: 50, totalTokens: 51 },
    },
  ];
  const app = createApp({
    service,
    log: silentLogger,
    keepAliveSeconds: 0,
    maxBodyBytes: 1024,
    runtime: "fake",
  });
  const res = await app.request("/api/chat", {
    method: "POST",
    body: JSON.stringify({ model: "phi", messages: USER }),
  });
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.match(new TextDecoder().decode(first.value), /"content":"w0 "/);
  await reader.cancel();
  assert.equal(service.cancelled, 1);
  assert.equal(service.closed, 1, "the events iterator was returned");
});

Deno.test("durations come from the injected clock, in nanoseconds", async () => {
  const service = new FakeService();
  // received 1000 → started 1250 → first token 1600 → done 2000 (one tick per clock read).
  const ticks = [1000, 1250, 1600, 2000];
  const app = new Hono().route(
    "/api",
    ollamaRoutes(service, {
      log: silentLogger,
      now: () => 0,
      clock: () => ticks.shift() ?? 9999,
    }),
  );
  const res = await app.request("/api/chat", {
    method: "POST",
    body: JSON.stringify({ model: "phi", stream: false, messages: USER }),
  });
  const body = await res.json();
  assert.equal(body.created_at, "1970-01-01T00:00:00.000Z");
  assert.equal(body.total_duration, 1_000_000_000);
  assert.equal(body.load_duration, 250_000_000);
  assert.equal(body.prompt_eval_duration, 350_000_000);
  assert.equal(body.eval_duration, 400_000_000);
});

Deno.test("POST /api/chat refuses more than max_messages messages, as the OpenAI route does", async () => {
  const { app } = fakeApp({ maxMessages: 3 });
  const messages = Array.from({ length: 4 }, () => ({ role: "user", content: "x" }));
  for (const path of ["/api/chat", "/v1/chat/completions"]) {
    const res = await app.request(path, {
      method: "POST",
      body: JSON.stringify({ model: "qwen3", stream: false, messages }),
    });
    assert.equal(res.status, 400, path);
    assert.match(JSON.stringify(await res.json()), /4 messages is more than this server accepts/);
  }
});
