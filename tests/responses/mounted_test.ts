import assert from "node:assert/strict";
import { fakeApp } from "../support/fake_service.ts";
import { responsesRoutes } from "../../src/http/responses/routes.ts";
import { anthropicRoutes } from "../../src/http/anthropic/routes.ts";

/** The wiring the notes propose: both sub-apps mounted in the server app, chat via app.request. */
function mounted() {
  const { app, post } = fakeApp();
  const viaChat = {
    chat: (body: unknown, signal: AbortSignal, headers: Headers) =>
      app.request("/v1/chat/completions", {
        method: "POST",
        body: JSON.stringify(body),
        headers,
        signal,
      }),
  };
  app.route("/v1", responsesRoutes(viaChat));
  app.route("/v1", anthropicRoutes(viaChat));
  return post;
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
