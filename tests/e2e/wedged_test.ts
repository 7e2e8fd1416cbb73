/**
 * A runtime that stops answering: a run that never returns and ignores rkllm_abort (the mock's
 * HANG=stuck). A native call cannot be killed from JS, so the server must tell every waiting
 * client, report itself failed, and exit non-zero for the service manager to restart it.
 */
import assert from "node:assert/strict";
import { startServer } from "../support/server.ts";

Deno.test("wedged runtime: clients get an error, /health fails, the server exits with 70", async () => {
  const server = await startServer({
    env: { RKLLM_MOCK_HANG: "stuck" },
    args: ["--first-token-timeout", "0.3", "--abort-grace", "0.5"],
  });
  let code: number | null = null;
  try {
    const post = (stream: boolean) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "phi", stream, messages: [{ role: "user", content: "hi" }] }),
      });
    const [first, second] = [post(false), post(false)];
    const a = await first;
    assert.equal(a.status, 503);
    assert.equal((await a.json()).error.code, "runtime_wedged");
    const b = await second;
    assert.equal(b.status, 503, "the request queued behind it is not left waiting");
    assert.equal((await b.json()).error.code, "runtime_wedged");
    const health = await fetch(`${server.url}/health`);
    const body = await health.json();
    assert.equal(body.status, "failed");
    assert.match(body.error, /did not return/);
    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 503);
    await ready.body?.cancel();
    // Later requests are refused at once rather than queued behind the stuck run.
    const c = await post(true);
    assert.equal(c.status, 503);
    await c.body?.cancel();
  } finally {
    code = await server.stop();
  }
  assert.equal(code, 70);
  assert.ok(server.logs.some((l) => /ERROR.*the NPU runtime is wedged/.test(l)));
});
