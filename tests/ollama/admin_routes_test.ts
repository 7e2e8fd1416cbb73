import assert from "node:assert/strict";
import type { ModelAdmin } from "../../src/models/admin.ts";
import { HubUnavailableError, ModelInUseError } from "../../src/models/pull/errors.ts";
import type { PullEvent, PullResult } from "../../src/models/pull/pull.ts";
import { fakeApp } from "../support/fake_service.ts";

/** Plays the given events (then throws `failWith`, if set) and records calls. */
class FakeAdmin implements ModelAdmin {
  events: PullEvent[] = [
    { status: "pulling manifest" },
    { status: "pulling 0123456789ab", digest: "sha256:0123", total: 10, completed: 5 },
    { status: "pulling 0123456789ab", digest: "sha256:0123", total: 10, completed: 10 },
    { status: "success" },
  ];
  failWith: Error | null = null;
  pulled: string[] = [];
  removed: string[] = [];
  aborted = false;
  removeError: Error | null = null;
  gate: Promise<void> | null = null;

  async *pull(reference: string, signal?: AbortSignal): AsyncGenerator<PullEvent, PullResult> {
    this.pulled.push(reference);
    signal?.addEventListener("abort", () => this.aborted = true);
    for (const [i, event] of this.events.entries()) {
      if (i === 1 && this.gate) await this.gate;
      yield event;
    }
    if (this.failWith) throw this.failWith;
    return { name: "x", dir: "/m/x", files: [] };
  }

  remove(name: string) {
    this.removed.push(name);
    if (this.removeError) return Promise.reject(this.removeError);
    return Promise.resolve({ path: `/m/${name}` });
  }
}

function setup(admin: FakeAdmin | null = new FakeAdmin()) {
  const { app } = fakeApp({ modelAdmin: admin ?? undefined });
  const send = (method: string, path: string, body: unknown) =>
    app.request(path, { method, body: JSON.stringify(body) });
  return { admin: admin as FakeAdmin, send };
}

Deno.test("POST /api/pull streams the progress as NDJSON", async () => {
  const { admin, send } = setup();
  const res = await send("POST", "/api/pull", { model: "owner/Qwen3-RKLLM:w8a8" });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "application/x-ndjson");
  const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, admin.events);
  assert.deepEqual(admin.pulled, ["owner/Qwen3-RKLLM:w8a8"]);
});

Deno.test("POST /api/pull with stream false answers once, at the end; `name` works too", async () => {
  const { admin, send } = setup();
  const res = await send("POST", "/api/pull", { name: "owner/repo", stream: false });
  assert.deepEqual(await res.json(), { status: "success" });
  assert.deepEqual(admin.pulled, ["owner/repo"]);
});

Deno.test("POST /api/pull: a failure during the stream is its last line", async () => {
  const admin = new FakeAdmin();
  admin.events = [{ status: "pulling manifest" }];
  admin.failWith = new HubUnavailableError("Hugging Face is unreachable");
  const { send } = setup(admin);
  const lines = (await (await send("POST", "/api/pull", { model: "o/r" })).text()).trim()
    .split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines, [{ status: "pulling manifest" }, {
    error: "Hugging Face is unreachable",
  }]);

  const whole = await send("POST", "/api/pull", { model: "o/r", stream: false });
  assert.equal(whole.status, 502);
  assert.deepEqual(await whole.json(), { error: "Hugging Face is unreachable" });
});

Deno.test("POST /api/pull refuses a bad reference before pulling", async (t) => {
  const rows: [string, unknown, RegExp][] = [
    ["no model", {}, /'model'/],
    ["not owner/repo", { model: "qwen3" }, /Invalid model reference 'qwen3'/],
    ["stream not a boolean", { model: "o/r", stream: "no" }, /'stream'/],
  ];
  for (const [name, body, message] of rows) {
    await t.step(name, async () => {
      const { admin, send } = setup();
      const res = await send("POST", "/api/pull", body);
      assert.equal(res.status, 400);
      assert.match((await res.json()).error, message);
      assert.deepEqual(admin.pulled, []);
    });
  }
});

Deno.test("POST /api/pull: a client that leaves stops the download", async () => {
  const admin = new FakeAdmin();
  const { promise: gate, resolve } = Promise.withResolvers<void>();
  admin.gate = gate;
  const { send } = setup(admin);
  const res = await send("POST", "/api/pull", { model: "o/r" });
  const reader = res.body!.getReader();
  await reader.read();
  // The pull waits at its gate, as a download waits for bytes.
  const cancelled = reader.cancel();
  resolve();
  await cancelled;
  assert.equal(admin.aborted, true);
});

Deno.test("DELETE /api/delete answers 200 with no body; a loaded model is a 409", async () => {
  const { admin, send } = setup();
  const res = await send("DELETE", "/api/delete", { model: "qwen3-1.7b" });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), "");
  assert.deepEqual(admin.removed, ["qwen3-1.7b"]);

  admin.removeError = new ModelInUseError("qwen3-1.7b");
  const busy = await send("DELETE", "/api/delete", { name: "qwen3-1.7b" });
  assert.equal(busy.status, 409);
  assert.match((await busy.json()).error, /is loaded/);
  assert.equal((await send("DELETE", "/api/delete", {})).status, 400);
  assert.equal((await send("POST", "/api/delete", { model: "x" })).status, 405);
});

Deno.test("without a ModelAdmin, pull and delete answer 501", async () => {
  const { send } = setup(null);
  for (const [method, path] of [["POST", "/api/pull"], ["DELETE", "/api/delete"]]) {
    const res = await send(method, path, { model: "o/r" });
    assert.equal(res.status, 501);
    assert.match((await res.json()).error, /not enabled/);
  }
});
