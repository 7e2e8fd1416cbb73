import assert from "node:assert/strict";
import { createApp } from "../../src/app.ts";
import { sameSecret } from "../../src/http/auth.ts";
import { silentLogger } from "../../src/log.ts";
import { FakeService } from "../support/fake_service.ts";

function app(opts: { apiKey?: string; corsOrigins?: "*" | string[] } = {}) {
  const service = new FakeService();
  return {
    service,
    app: createApp({
      service,
      log: silentLogger,
      keepAliveSeconds: 0,
      maxBodyBytes: 1 << 20,
      runtime: "fake",
      ...opts,
    }),
  };
}

Deno.test("API key: every route but /health needs the Bearer key", async (t) => {
  const { app: a } = app({ apiKey: "s3cret" });
  const rows: [string, string, Record<string, string>, number][] = [
    ["no header", "/v1/models", {}, 401],
    ["wrong key", "/v1/models", { Authorization: "Bearer nope" }, 401],
    ["wrong scheme", "/v1/models", { Authorization: "Basic s3cret" }, 401],
    ["right key", "/v1/models", { Authorization: "Bearer s3cret" }, 200],
    ["right key, other case scheme", "/v1/models", { Authorization: "bearer s3cret" }, 200],
    ["health is open", "/health", {}, 200],
    ["ready needs the key", "/ready", {}, 401],
  ];
  for (const [name, path, headers, status] of rows) {
    await t.step(name, async () => {
      const res = await a.request(path, { headers });
      assert.equal(res.status, status);
      const body = await res.json();
      if (status === 401) {
        assert.equal(body.error.code, "invalid_api_key");
        assert.equal(body.error.type, "invalid_request_error");
      }
    });
  }
  await t.step("POST chat without the key is refused before validation", async () => {
    const res = await a.request("/v1/chat/completions", { method: "POST", body: "{" });
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
  await t.step("CORS preflights pass without the key", async () => {
    const res = await a.request("/v1/chat/completions", {
      method: "OPTIONS",
      headers: { Origin: "http://ui", "Access-Control-Request-Method": "POST" },
    });
    assert.equal(res.status, 204);
  });
});

Deno.test("no API key configured: routes are open", async () => {
  const res = await app().app.request("/v1/models");
  assert.equal(res.status, 200);
  await res.body?.cancel();
});

Deno.test("sameSecret() compares whole values", async () => {
  assert.equal(await sameSecret("abc", "abc"), true);
  assert.equal(await sameSecret("abc", "abd"), false);
  assert.equal(await sameSecret("abc", "abcd"), false);
  assert.equal(await sameSecret("", "x"), false);
});

Deno.test("CORS origins can be restricted to a list", async () => {
  const { app: a } = app({ corsOrigins: ["http://webui.local"] });
  const ok = await a.request("/v1/models", { headers: { Origin: "http://webui.local" } });
  assert.equal(ok.headers.get("access-control-allow-origin"), "http://webui.local");
  const other = await a.request("/v1/models", { headers: { Origin: "http://evil.example" } });
  assert.notEqual(other.headers.get("access-control-allow-origin"), "http://evil.example");
  await ok.body?.cancel();
  await other.body?.cancel();
});

Deno.test("/ready is 200 only when a model is loaded and idle", async (t) => {
  const { app: a, service } = app();
  const rows: [string | null, boolean, number, string][] = [
    [null, false, 503, "no model loaded"],
    ["qwen3-1.7b", true, 503, "inference in progress"],
    ["qwen3-1.7b", false, 200, "ready"],
  ];
  for (const [loaded, busy, status, expected] of rows) {
    await t.step(expected, async () => {
      service.loaded = loaded;
      service.busy = busy;
      const res = await a.request("/ready");
      assert.equal(res.status, status);
      const body = await res.json();
      assert.equal(status === 200 ? body.status : body.reason, expected);
    });
  }
});

Deno.test("errors under /api use Ollama's shape: auth, unknown paths, wrong methods", async () => {
  const { app: a } = app({ apiKey: "k" });
  const rows: [string, string, number][] = [
    ["GET", "/api/tags", 401],
    ["GET", "/api/nothing", 404],
  ];
  for (const [method, path, status] of rows) {
    const res = await a.request(path, {
      method,
      headers: status === 401 ? {} : { Authorization: "Bearer k" },
    });
    assert.equal(res.status, status);
    const body = await res.json();
    assert.equal(typeof body.error, "string", JSON.stringify(body));
  }
  const wrong = await a.request("/v1/chat/completions", { headers: { Authorization: "Bearer k" } });
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get("allow"), "POST");
  assert.equal((await wrong.json()).error.code, "method_not_allowed");
});
