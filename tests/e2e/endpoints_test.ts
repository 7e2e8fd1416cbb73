import assert from "node:assert/strict";
import OpenAI from "openai";
import { readMockLog } from "../support/mock.ts";
import { type TestServer, withServer } from "../support/server.ts";
import { ABI_VERSIONS, type AbiVersion } from "../../src/rkllm/versions.ts";

function serve(
  abi: AbiVersion,
  fn: (server: TestServer, client: OpenAI) => Promise<void>,
): Promise<void> {
  return withServer({
    abi,
    env: { RKLLM_MOCK_TOKENS: "6" },
    models: {
      "Phi-3-Mini-4K-Instruct": "phi.rkllm",
      "Qwen3-Embedding-0.6B": "qwen3-embedding.rkllm",
    },
    files: { "Qwen3-Embedding-0.6B/model_config.json": JSON.stringify({ skip_chat: true }) },
  }, (server) => fn(server, new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x" })));
}

const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] e2e: /v1/completions with the openai client, streamed and not`, async () => {
    await serve(abi, async (_server, client) => {
      const done = await client.completions.create({ model: "phi", prompt: "Once upon a time" });
      assert.equal(done.object, "text_completion");
      assert.equal(done.model, "phi-3-mini-4k-instruct");
      assert.ok(done.choices[0].text.length > 0);
      assert.equal(done.choices[0].finish_reason, "stop");
      assert.ok((done.usage?.completion_tokens ?? 0) > 0);

      const stream = await client.completions.create({
        model: "phi",
        prompt: ["Once upon", "a time"],
        stream: true,
        echo: true,
      });
      let text = "";
      let finish: string | null = null;
      for await (const part of stream) {
        text += part.choices[0]?.text ?? "";
        finish = part.choices[0]?.finish_reason ?? finish;
      }
      assert.ok(text.startsWith("Once upon\na time"), "echo puts the prompt first");
      assert.equal(finish, "stop");
      await assert.rejects(
        client.completions.create({ model: "phi", prompt: "x", n: 2 }),
        (err: unknown) => err instanceof OpenAI.BadRequestError,
      );
    });
  });

  Deno.test(`[ABI ${abi}] e2e: /v1/embeddings returns unit vectors, also from embedding-only models`, async () => {
    await serve(abi, async (server, client) => {
      const models = await client.models.list();
      assert.ok(!models.data.some((m) => m.id === "qwen3-embedding-0.6b"), "hidden from chat");

      const res = await client.embeddings.create({
        model: "qwen3-embedding-0.6b",
        input: ["the same text", "the same text", "something else"],
        encoding_format: "float",
      });
      assert.equal(res.model, "qwen3-embedding-0.6b");
      assert.equal(res.data.length, 3);
      const [a, b, c] = res.data.map((d) => d.embedding);
      assert.equal(a.length, 64);
      assert.ok(Math.abs(norm(a) - 1) < 1e-5);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      assert.ok(res.usage.prompt_tokens > 0);

      const short = await client.embeddings.create({
        model: "qwen3-embedding-0.6b",
        input: "the same text",
        dimensions: 16,
      });
      assert.equal(short.data[0].embedding.length, 16);
      assert.ok(Math.abs(norm(short.data[0].embedding) - 1) < 1e-5);

      const raw = await fetch(`${server.url}/v1/embeddings`, {
        method: "POST",
        body: JSON.stringify({
          model: "qwen3-embedding-0.6b",
          input: "the same text",
          encoding_format: "base64",
        }),
      });
      const encoded = (await raw.json()).data[0].embedding as string;
      const bytes = Uint8Array.from(atob(encoded), (ch) => ch.charCodeAt(0));
      const floats = new Float32Array(bytes.buffer);
      assert.ok(Math.abs(floats[0] - a[0]) < 1e-6);

      for (
        const [body, status] of [
          [{ model: "qwen3-embedding-0.6b", input: "" }, 400],
          [{ model: "qwen3-embedding-0.6b", input: [1, 2, 3] }, 400],
          [{ model: "nope", input: "x" }, 404],
        ] as const
      ) {
        const r = await fetch(`${server.url}/v1/embeddings`, {
          method: "POST",
          body: JSON.stringify(body),
        });
        assert.equal(r.status, status);
        assert.ok((await r.json()).error.message);
      }
      const runs = (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");
      assert.ok(runs.every((r) => r.mode === 1 && r.keep_history === 0));
    });
  });

  Deno.test(`[ABI ${abi}] e2e: /metrics reflects real runs, loads and queue waits`, async () => {
    await serve(abi, async (server, client) => {
      await client.chat.completions.create({
        model: "phi",
        messages: [{ role: "user", content: "hi" }],
      });
      const text = await (await fetch(`${server.url}/metrics`)).text();
      for (
        const line of [
          'rkllm_runs_total{kind="chat",model="phi-3-mini-4k-instruct",result="finish"} 1',
          'rkllm_completion_tokens_total{model="phi-3-mini-4k-instruct"} 6',
          'rkllm_model_load_seconds_count{model="phi-3-mini-4k-instruct"} 1',
          'rkllm_prefill_seconds_count{model="phi-3-mini-4k-instruct"} 1',
          'rkllm_http_requests_total{route="/v1/chat/completions",status="200"} 1',
          'rkllm_model_loaded{model="phi-3-mini-4k-instruct"} 1',
        ]
      ) {
        assert.ok(text.includes(line), `missing: ${line}\n${text}`);
      }
    });
  });
}
