/**
 * Structured output through HTTP: OpenAI `response_format` on /v1/chat/completions (and, through
 * it, /v1/responses `text.format`) and Ollama `format` on /api/chat and /api/generate, over a
 * scripted service; then once on the real engine with the mock runtime.
 */
import assert from "node:assert/strict";
import type { ChatEvent, ChatRequest } from "../../src/engine/types.ts";
import { mockEngine } from "../support/engine.ts";
import { fakeApp, FakeService } from "../support/fake_service.ts";
import { readMockLog, withEnv } from "../support/mock.ts";
import { readSse } from "../support/server.ts";

const PERSON = {
  type: "object",
  properties: { name: { type: "string" }, age: { type: "integer" } },
  required: ["name", "age"],
};
const SCHEMA_FORMAT = {
  type: "json_schema",
  json_schema: { name: "person", schema: PERSON, strict: true },
};
const USER = [{ role: "user", content: "Who wrote the first program?" }];
const GOOD = '{"name": "Ada Lovelace", "age": 36}';

const reply = (text: string): ChatEvent[] => [
  { type: "content", text },
  {
    type: "done",
    finishReason: "stop",
    usage: { promptTokens: 4, completionTokens: 6, totalTokens: 10 },
  },
];

class ScriptedService extends FakeService {
  scripts: ChatEvent[][] = [];
  override start(req: ChatRequest) {
    this.script = this.scripts.shift() ?? this.script;
    return super.start(req);
  }
}

function setup(...scripts: string[]) {
  const service = new ScriptedService();
  service.scripts = scripts.map(reply);
  return fakeApp({ service });
}

const chatBody = (extra: Record<string, unknown>) => ({ model: "phi", messages: USER, ...extra });

Deno.test("chat: json_schema answers only the validated JSON and instructs the model", async () => {
  const { post, service } = setup(`Here you go:\n\`\`\`json\n${GOOD}\n\`\`\``);
  const res = await post("/v1/chat/completions", chatBody({ response_format: SCHEMA_FORMAT }));
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.choices[0].message.content, GOOD);
  assert.deepEqual(JSON.parse(body.choices[0].message.content), { name: "Ada Lovelace", age: 36 });
  const system = service.requests[0].messages[0];
  assert.equal(system.role, "system");
  assert.ok(system.content.includes(JSON.stringify(PERSON)), "the schema is in the prompt");
});

Deno.test("chat: an invalid answer is retried once; a second one is a 422 in OpenAI's shape", async () => {
  const retried = setup('{"name": "Ada"}', GOOD);
  const ok = await retried.post(
    "/v1/chat/completions",
    chatBody({ response_format: SCHEMA_FORMAT }),
  );
  assert.equal((await ok.json()).choices[0].message.content, GOOD);
  assert.equal(retried.service.requests.length, 2);

  const failing = setup("I don't know.", "Sorry, no idea.");
  const res = await failing.post(
    "/v1/chat/completions",
    chatBody({ response_format: { type: "json_object" } }),
  );
  assert.equal(res.status, 422);
  const { error } = await res.json();
  assert.equal(error.type, "invalid_request_error");
  assert.equal(error.code, "structured_output_failed");
  assert.equal(error.param, "response_format");
  assert.match(error.message, /after 2 attempts: the answer is not JSON/);
  assert.equal(failing.service.requests.length, 2);
});

Deno.test("chat: a streamed answer with a schema arrives as one checked delta", async () => {
  const { post } = setup(`Answer: ${GOOD}`);
  const res = await post(
    "/v1/chat/completions",
    chatBody({ stream: true, response_format: SCHEMA_FORMAT }),
  );
  const { data } = await readSse(res);
  assert.equal(data.at(-1), "[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  const contents = chunks.map((c) => c.choices[0]?.delta?.content).filter(Boolean);
  assert.deepEqual(contents, [GOOD]);
  assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
});

Deno.test("chat: a streamed answer that fails the format ends in one error chunk, with no content", async () => {
  const { post } = setup("nope", "nope again");
  const res = await post(
    "/v1/chat/completions",
    chatBody({ stream: true, response_format: { type: "json_object" } }),
  );
  assert.equal(res.status, 200, "the headers were sent before the answer was known");
  const { data } = await readSse(res);
  assert.equal(data.at(-1), "[DONE]");
  const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
  assert.equal(chunks.some((c) => c.choices?.[0]?.delta?.content), false, "no content sent");
  assert.equal(chunks.at(-1).error.code, "structured_output_failed");
});

Deno.test("chat: a malformed response_format is a 400 before any generation", async () => {
  const { post, service } = setup();
  const res = await post(
    "/v1/chat/completions",
    chatBody({ response_format: { type: "json_schema", json_schema: { schema: "x" } } }),
  );
  assert.equal(res.status, 400);
  assert.equal((await res.json()).error.param, "response_format.json_schema.schema");
  assert.equal(service.requests.length, 0);
});

Deno.test("responses: text.format json_schema is enforced through the chat route", async () => {
  const { post } = setup("no", "no");
  const res = await post("/v1/responses", {
    model: "phi",
    input: "Who?",
    text: { format: { type: "json_schema", name: "person", schema: PERSON } },
  });
  assert.equal(res.status, 422);
  assert.equal((await res.json()).error.code, "structured_output_failed");
});

Deno.test("ollama: format schema on /api/chat streams one checked line, then done", async () => {
  const { post } = setup(GOOD);
  const res = await post("/api/chat", { model: "phi", messages: USER, format: PERSON });
  const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.message.content), [GOOD, ""]);
  assert.equal(lines.at(-1).done, true);
  assert.equal(res.headers.get("x-rkllm-ignored-params"), null, "format is not ignored");
});

Deno.test("ollama: format json on /api/generate fails with a 422 and Ollama's error shape", async () => {
  const { post } = setup("[1, 2]", "[3]");
  const res = await post("/api/generate", {
    model: "phi",
    prompt: "List",
    format: "json",
    stream: false,
  });
  assert.equal(res.status, 422);
  const body = await res.json();
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.match(body.error, /an array, not a JSON object/);
});

Deno.test('ollama: a format that is neither "json" nor a schema is a 400', async () => {
  const { post } = setup();
  const res = await post("/api/chat", { model: "phi", messages: USER, format: "yaml" });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error, /Invalid 'format'/);
});

Deno.test("structured output on the mock runtime: the reply is checked, a bad one is retried once", async () => {
  const { engine, dispose } = await mockEngine({ "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" });
  const mockLog = await Deno.makeTempFile();
  const { post } = fakeApp({ service: engine });
  const chat = () =>
    post("/v1/chat/completions", {
      model: "qwen3-1.7b",
      messages: USER,
      chat_template_kwargs: { enable_thinking: false },
      response_format: SCHEMA_FORMAT,
    });
  try {
    await withEnv({ RKLLM_MOCK_LOG: mockLog, RKLLM_MOCK_REPLY: GOOD }, async () => {
      const res = await chat();
      assert.equal(res.status, 200);
      assert.deepEqual(JSON.parse((await res.json()).choices[0].message.content), {
        name: "Ada Lovelace",
        age: 36,
      });
    });
    const runs = async () =>
      (await readMockLog(mockLog)).filter((l) => l.event === "run_start").length;
    assert.equal(await runs(), 1);
    await withEnv({ RKLLM_MOCK_LOG: mockLog, RKLLM_MOCK_REPLY: '{"name": 7}' }, async () => {
      const res = await chat();
      assert.equal(res.status, 422);
      assert.match((await res.json()).error.message, /#\/name: .*string/);
    });
    assert.equal(await runs(), 3, "the bad reply ran twice");
  } finally {
    await dispose();
    await Deno.remove(mockLog);
  }
});
