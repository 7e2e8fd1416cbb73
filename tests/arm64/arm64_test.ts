/**
 * The program as it runs on the boards: the bundle (`deno task bundle`, the same module graph
 * `deno compile` embeds) executed by the aarch64 Deno under qemu-user, with the mock runtime
 * cross-compiled for aarch64. Runs only from `deno task test:arm64` (which prepares all three
 * and sets RKLLM_ARM64_DENO).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import OpenAI from "openai";
import { readMockLog, ROOT } from "../support/mock.ts";
import { startServer, type TestServer } from "../support/server.ts";

const armDeno = Deno.env.get("RKLLM_ARM64_DENO");

async function withArmServer(fn: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startServer({
    command: [
      "qemu-aarch64",
      "-L",
      "/usr/aarch64-linux-gnu",
      join(ROOT, armDeno!),
      "run",
      "--v8-flags=--optimize-for-size",
      "--allow-ffi",
      "--allow-read",
      "--allow-env",
      "--allow-net",
      join(ROOT, "build", "rkllm-api.js"),
    ],
    lib: join(ROOT, "build", "mock", "aarch64", "v1.2.3", "librkllmrt.so"),
    env: {
      RKLLM_MOCK_TOKENS: "40",
      RKLLM_MOCK_TOKEN_MS: "5",
      DENO_DIR: join(ROOT, ".tools", "arm64", "cache"),
    },
    startupTimeoutMs: 60_000,
  });
  try {
    await fn(server);
  } finally {
    assert.equal(await server.stop(), 0, server.logs.join("\n"));
  }
}

Deno.test({
  name: "arm64: the bundled server starts, lists models, streams, and survives a disconnect",
  ignore: !armDeno,
  fn: async () => {
    await withArmServer(async (server) => {
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "x" });
      const models = await client.models.list();
      assert.deepEqual(models.data.map((m) => m.id), ["phi-3-mini-4k-instruct", "qwen3-1.7b"]);

      const stream = await client.chat.completions.create({
        model: "phi",
        stream: true,
        messages: [{ role: "user", content: "Hello from aarch64" }],
      });
      let content = "";
      let finish: string | null = null;
      for await (const part of stream) {
        content += part.choices[0]?.delta?.content ?? "";
        finish = part.choices[0]?.finish_reason ?? finish;
      }
      assert.ok(content.length > 0);
      assert.equal(finish, "stop");

      const ac = new AbortController();
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({
          model: "phi",
          stream: true,
          messages: [{ role: "user", content: "long" }],
        }),
        signal: ac.signal,
      });
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await reader.cancel().catch(() => {});

      const after = await client.chat.completions.create({
        model: "phi",
        max_tokens: 3,
        messages: [{ role: "user", content: "still there?" }],
      });
      assert.equal(after.choices[0].finish_reason, "length");
      const log = await readMockLog(server.mockLog);
      assert.equal(log.filter((l) => l.event === "run_end" && l.result === "abort").length, 2);
      assert.ok(!log.some((l) => l.overlap === true));
    });
  },
});
