import assert from "node:assert/strict";
import OpenAI from "openai";
import { readMockLog } from "../support/mock.ts";
import { readSse, type TestServer, withServer } from "../support/server.ts";
import { ABI_VERSIONS, type AbiVersion } from "../../src/rkllm/versions.ts";

function serve(
  env: Record<string, string>,
  fn: (server: TestServer) => Promise<void>,
  abi: AbiVersion = "1.2.3",
): Promise<void> {
  return withServer({ env, abi }, fn);
}

const chat = (server: TestServer, body: unknown, init: RequestInit = {}) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    ...init,
  });

for (const abi of ABI_VERSIONS) {
  Deno.test(`e2e [ABI ${abi}]: the openai client streams and fetches a reply from the server`, async () => {
    await serve({ RKLLM_MOCK_TOKENS: "20", RKLLM_MOCK_THINK: "1" }, async (server) => {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "not-needed" });
      const models = await client.models.list();
      assert.deepEqual(models.data.map((m) => m.id), ["phi-3-mini-4k-instruct", "qwen3-1.7b"]);

      const stream = await client.chat.completions.create({
        model: "qwen3-1.7b",
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: "user", content: "What is the capital of France?" }],
      });
      let content = "";
      let reasoning = "";
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | undefined;
      const ids = new Set<string>();
      for await (const part of stream) {
        ids.add(part.id);
        const delta = part.choices[0]?.delta as
          | { content?: string; reasoning_content?: string }
          | undefined;
        content += delta?.content ?? "";
        reasoning += delta?.reasoning_content ?? "";
        finish = part.choices[0]?.finish_reason ?? finish;
        if (part.usage) usage = part.usage;
      }
      assert.equal(ids.size, 1);
      assert.ok(content.length > 0, "content streamed");
      assert.ok(reasoning.length > 0, "reasoning separated");
      assert.ok(!content.includes("<think>") && !content.includes("</think>"));
      assert.equal(finish, "stop");
      const runEnd = (await readMockLog(server.mockLog)).find((l) => l.event === "run_end");
      assert.equal(usage?.completion_tokens, runEnd?.tokens, "usage = the runtime's token count");

      const reply = await client.chat.completions.create({
        model: "phi",
        messages: [{ role: "user", content: "Hello" }],
      });
      assert.equal(reply.model, "phi-3-mini-4k-instruct");
      assert.equal(reply.choices[0].finish_reason, "stop");
      assert.ok((reply.choices[0].message.content ?? "").length > 0);
      assert.equal(reply.usage?.completion_tokens, 20);
    }, abi);
  });

  Deno.test(`e2e [ABI ${abi}]: SSE wire format is exact and split UTF-8 arrives intact`, async () => {
    const reply = "Zürich — café 日本語 😀";
    await serve(
      { RKLLM_MOCK_REPLY: reply, RKLLM_MOCK_SPLIT_UTF8: "1", RKLLM_MOCK_CHUNK: "2" },
      async (server) => {
        const res = await chat(server, {
          model: "phi-3-mini-4k-instruct",
          stream: true,
          messages: [{ role: "user", content: "hi" }],
        });
        assert.equal(res.status, 200);
        assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
        const { data, raw } = await readSse(res);
        assert.ok(raw.endsWith("data: [DONE]\n\n"));
        assert.equal(data.at(-1), "[DONE]");
        const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
        assert.deepEqual(chunks[0].choices[0].delta, { role: "assistant", content: "" });
        const finishes = chunks.filter((c) => c.choices[0]?.finish_reason);
        assert.equal(finishes.length, 1);
        assert.equal(chunks.at(-1).choices[0].finish_reason, "stop");
        assert.equal(new Set(chunks.map((c) => `${c.id}/${c.created}`)).size, 1);
        for (const c of chunks) assert.equal(c.object, "chat.completion.chunk");
        const text = chunks.map((c) => c.choices[0].delta.content ?? "").join("");
        assert.equal(text, reply);
      },
      abi,
    );
  });
}

Deno.test("e2e: a client that disconnects mid-stream aborts the run and frees the NPU", async () => {
  await serve({ RKLLM_MOCK_TOKENS: "2000", RKLLM_MOCK_TOKEN_MS: "5" }, async (server) => {
    const ac = new AbortController();
    const res = await chat(server, {
      model: "qwen3-1.7b",
      stream: true,
      messages: [{ role: "user", content: "Tell me a very long story" }],
    }, { signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    await reader.read();
    ac.abort();
    await reader.cancel().catch(() => {});

    // The next request starts at once and completes.
    const started = performance.now();
    const next = await chat(server, {
      model: "qwen3-1.7b",
      max_tokens: 3,
      messages: [{ role: "user", content: "Short one" }],
    });
    assert.equal(next.status, 200);
    const body = await next.json();
    assert.equal(body.choices[0].finish_reason, "length");
    assert.ok(performance.now() - started < 5000);

    const log = await readMockLog(server.mockLog);
    assert.ok(log.some((l) => l.fn === "rkllm_abort"), "mock saw rkllm_abort");
    const ends = log.filter((l) => l.event === "run_end");
    assert.equal(ends[0].result, "abort");
    assert.ok((ends[0].tokens ?? 2000) < 2000);
    assert.ok(!log.some((l) => l.overlap === true), "no overlapping runs");
  });
});

Deno.test("e2e: bad requests get OpenAI error bodies and the server stays up", async () => {
  await serve({}, async (server) => {
    const cases: [BodyInit, number, string | null][] = [
      ["{not json", 400, null],
      [JSON.stringify({ model: "qwen3-1.7b" }), 400, "messages"],
      [JSON.stringify({ model: "qwen3-1.7b", messages: [] }), 400, "messages"],
      [
        JSON.stringify({ model: "qwen3-1.7b", messages: [{ role: "robot", content: "x" }] }),
        400,
        "messages[0].role",
      ],
      [JSON.stringify({ model: "nope", messages: [{ role: "user", content: "x" }] }), 404, "model"],
      [
        JSON.stringify({ model: "qwen3-1.7b", n: 2, messages: [{ role: "user", content: "x" }] }),
        400,
        "n",
      ],
    ];
    for (const [body, status, param] of cases) {
      const res = await fetch(`${server.url}/v1/chat/completions`, { method: "POST", body });
      assert.equal(res.status, status, String(body));
      const json = await res.json();
      assert.equal(typeof json.error.message, "string");
      assert.equal(json.error.param, param);
    }
    const notFound = await (await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "nope", messages: [{ role: "user", content: "x" }] }),
    })).json();
    assert.match(notFound.error.message, /qwen3-1\.7b/);
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.status, "ok");
  });
});

Deno.test("e2e: request sampling is applied per run on 1.3.0 and reported as ignored on 1.2.3", async () => {
  for (const abi of ABI_VERSIONS) {
    await serve({ RKLLM_MOCK_TOKENS: "50" }, async (server) => {
      const res = await chat(server, {
        model: "phi",
        temperature: 0.25,
        top_k: 7,
        max_tokens: 4,
        messages: [{ role: "user", content: "sample" }],
      });
      const body = await res.json();
      assert.equal(body.choices[0].finish_reason, "length");
      const start = (await readMockLog(server.mockLog)).find((l) => l.event === "run_start")!;
      if (abi === "1.3.0") {
        assert.equal(res.headers.get("x-rkllm-ignored-params"), null);
        const s = start.sampling_params as Record<string, number>;
        assert.ok(Math.abs(s.temperature - 0.25) < 1e-6);
        assert.equal(s.top_k, 7);
        assert.equal(start.max_new_tokens, 4);
      } else {
        assert.equal(res.headers.get("x-rkllm-ignored-params"), "temperature, top_k");
        assert.equal(start.sampling_params, undefined);
      }
    }, abi);
  }
});
