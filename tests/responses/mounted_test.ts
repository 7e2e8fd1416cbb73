import assert from "node:assert/strict";
import { fakeApp } from "../support/fake_service.ts";

/** The server app as createApp builds it: both sub-apps are mounted there, chat via app.request. */
function mounted(opts: { apiKey?: string } = {}) {
  return fakeApp(opts).post;
}

Deno.test("mounted: /v1/responses and /v1/messages answer with ids from the outer request id", async () => {
  const post = mounted();
  const r = await post("/v1/responses", { model: "qwen3-1.7b", input: "hi" }, {
    "x-request-id": "outer-1",
  });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.id, "resp_outer-1");
  assert.deepEqual(body.output.map((o: { type: string }) => o.type), ["reasoning", "message"]);
  const m = await post("/v1/messages", {
    model: "qwen3-1.7b",
    max_tokens: 5,
    messages: [{ role: "user", content: "hi" }],
  });
  assert.equal(m.status, 200);
  const msg = await m.json();
  assert.equal(msg.id, `msg_${m.headers.get("x-request-id")}`);
  assert.deepEqual(msg.usage, { input_tokens: 5, output_tokens: 3 });
});

Deno.test("mounted: a validation error keeps each API's error shape", async () => {
  const post = mounted();
  const r = await post("/v1/responses", { model: "qwen3-1.7b" });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error.param, "input");
  const m = await post("/v1/messages", { model: "qwen3-1.7b", max_tokens: 5, messages: "x" });
  assert.equal(m.status, 400);
  assert.equal((await m.json()).error.type, "invalid_request_error");
});

Deno.test("mounted: Anthropic's x-api-key is accepted as the key, and a wrong one gets Anthropic's 401", async () => {
  const post = mounted({ apiKey: "sk-test" });
  const body = { model: "qwen3-1.7b", max_tokens: 5, messages: [{ role: "user", content: "hi" }] };
  const ok = await post("/v1/messages", body, { "x-api-key": "sk-test" });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).type, "message");
  const bad = await post("/v1/messages", body, { "x-api-key": "sk-wrong" });
  assert.equal(bad.status, 401);
  const err = await bad.json();
  assert.equal(err.type, "error");
  assert.equal(err.error.type, "authentication_error");
  const none = await post("/v1/responses", { model: "qwen3-1.7b", input: "hi" });
  assert.equal(none.status, 401);
  assert.equal((await none.json()).error.code, "invalid_api_key");
});
