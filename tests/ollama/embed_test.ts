import assert from "node:assert/strict";
import { estimateTokens } from "../../src/engine/prompt.ts";
import type { EmbeddingResult, EngineStatus, ModelInfo } from "../../src/engine/types.ts";
import { ContextLengthError, ModelNotFoundError } from "../../src/errors.ts";
import { truncateToTokens } from "../../src/ollama/embed_routes.ts";
import { FAKE_MODELS, fakeApp, FakeService } from "../support/fake_service.ts";

/** An embedding-only model: chat cannot name it, embeddings and /api/ps can. */
const EMBEDDER: ModelInfo = {
  id: "qwen3-embedding-0.6b",
  aliases: [],
  contextLength: 10,
  capabilities: ["embedding"],
  sizeBytes: 7,
  fileName: "e.rkllm",
};

/** Embeds like the engine: refuses an input above the context, records what it got. */
class EmbedService extends FakeService {
  dims: (number | undefined)[] = [];
  idleUnloadAt: number | null | undefined = undefined;

  describeModel(name: string): ModelInfo | undefined {
    return name === EMBEDDER.id ? EMBEDDER : this.findModel(name);
  }

  override status(): EngineStatus {
    return { ...super.status(), idleUnloadAt: this.idleUnloadAt };
  }

  override embed(
    model: string,
    inputs: readonly string[],
    opts: { dimensions?: number } = {},
  ): Promise<EmbeddingResult> {
    const info = this.describeModel(model);
    if (!info) return Promise.reject(new ModelNotFoundError(model, [EMBEDDER.id]));
    const long = inputs.findIndex((t) => estimateTokens(t) > info.contextLength);
    if (long >= 0) return Promise.reject(new ContextLengthError(`input[${long}] is too long`));
    this.embedded.push([...inputs]);
    this.dims.push(opts.dimensions);
    return Promise.resolve({
      model: info.id,
      vectors: inputs.map((t) => Float32Array.from([0.6, t.length === 0 ? 0 : 0.8])),
      promptTokens: inputs.length * 3,
    });
  }
}

const setup = () => fakeApp({ service: new EmbedService() });

Deno.test("truncateToTokens() keeps the longest prefix the engine's estimate allows", async (t) => {
  const rows: [string, number, string][] = [
    ["abcdef", 2, "abcdef"],
    ["abcdefg", 2, "abcdef"],
    ["héllo wörld", 3, "héllo"],
    ["😀😀😀", 3, "😀😀"],
    ["abc", 0, ""],
  ];
  for (const [text, max, expected] of rows) {
    await t.step(`${JSON.stringify(text)} to ${max}`, () => {
      const cut = truncateToTokens(text, max);
      assert.equal(cut, expected);
      assert.ok(estimateTokens(cut) <= max);
    });
  }
});

Deno.test("POST /api/embed embeds a list, with Ollama's fields", async () => {
  const { post, service } = setup();
  const res = await post("/api/embed", {
    model: "qwen3-embedding-0.6b:latest",
    input: ["first", "second"],
    dimensions: 2,
    keep_alive: "5m",
    options: { num_ctx: 1024 },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.model, "qwen3-embedding-0.6b");
  assert.equal(body.embeddings.length, 2);
  assert.ok(body.embeddings.every((v: number[]) => v.length === 2));
  assert.equal(body.prompt_eval_count, 6);
  assert.equal(typeof body.total_duration, "number");
  assert.deepEqual(service.embedded, [["first", "second"]]);
  assert.deepEqual(service.dims, [2]);
});

Deno.test("POST /api/embed takes a single string, and an empty one without running", async () => {
  const { post, service } = setup();
  const one = await (await post("/api/embed", { model: "phi", input: "hello" })).json();
  assert.equal(one.model, "phi-3-mini-4k-instruct");
  assert.equal(one.embeddings.length, 1);
  const empty = await (await post("/api/embed", { model: "phi", input: "" })).json();
  assert.deepEqual(empty, { model: "phi-3-mini-4k-instruct", embeddings: [] });
  assert.equal(service.embedded.length, 1);
});

Deno.test("POST /api/embed cuts a long input to the context unless truncate is false", async () => {
  const { post, service } = setup();
  const long = "x".repeat(100); // ~34 tokens; the embedder takes 10
  const cut = await post("/api/embed", { model: EMBEDDER.id, input: [long, "short"] });
  assert.equal(cut.status, 200);
  assert.deepEqual(service.embedded[0], ["x".repeat(30), "short"]);

  const refused = await post("/api/embed", { model: EMBEDDER.id, input: long, truncate: false });
  assert.equal(refused.status, 400);
  assert.match((await refused.json()).error, /too long/);
});

Deno.test("POST /api/embed refuses bad input with Ollama's error shape", async (t) => {
  const { post } = setup();
  const rows: [string, unknown, number, RegExp][] = [
    ["no model", { input: "x" }, 400, /'model'/],
    ["input a number", { model: "phi", input: 3 }, 400, /'input'/],
    ["an empty string in a list", { model: "phi", input: ["a", ""] }, 400, /'input\[1\]'/],
    ["truncate a string", { model: "phi", input: "a", truncate: "yes" }, 400, /'truncate'/],
    ["dimensions 0", { model: "phi", input: "a", dimensions: 0 }, 400, /'dimensions'/],
    ["unknown model", { model: "nope", input: "a" }, 404, /nope/],
  ];
  for (const [name, body, status, message] of rows) {
    await t.step(name, async () => {
      const res = await post("/api/embed", body);
      assert.equal(res.status, status);
      const json = await res.json();
      assert.deepEqual(Object.keys(json), ["error"]);
      assert.match(json.error, message);
    });
  }
});

Deno.test("POST /api/embeddings (legacy) answers one embedding for the prompt", async () => {
  const { post, service } = setup();
  const body = await (await post("/api/embeddings", { model: "phi", prompt: "hello" })).json();
  assert.deepEqual(Object.keys(body), ["embedding"]);
  assert.equal(body.embedding.length, 2);
  assert.ok(Math.abs(body.embedding[0] - 0.6) < 1e-6);
  assert.deepEqual(await (await post("/api/embeddings", { model: "phi", prompt: "" })).json(), {
    embedding: [],
  });
  assert.deepEqual(service.embedded, [["hello"]]);
  const bad = await post("/api/embeddings", { model: "phi", prompt: ["a"] });
  assert.equal(bad.status, 400);
});

Deno.test("GET /api/ps shows the idle-unload time and an embedding-only model", async () => {
  const { app, service } = setup();
  service.loaded = EMBEDDER.id;
  service.idleUnloadAt = Date.UTC(2030, 0, 2, 3, 4, 5);
  const { models } = await (await app.request("/api/ps")).json();
  assert.deepEqual(models.map((m: { name: string }) => m.name), [EMBEDDER.id]);
  assert.equal(models[0].expires_at, "2030-01-02T03:04:05.000Z");
  assert.equal(models[0].context_length, 10);
  // Without idle unloading the model never expires.
  service.idleUnloadAt = null;
  service.loaded = FAKE_MODELS[0].id;
  const never = await (await app.request("/api/ps")).json();
  assert.equal(never.models[0].expires_at, "9999-12-31T23:59:59Z");
});
