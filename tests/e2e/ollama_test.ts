import assert from "node:assert/strict";
import { Ollama } from "ollama";
import { readMockLog } from "../support/mock.ts";
import { type TestServer, withServer } from "../support/server.ts";
import { ABI_VERSIONS, type AbiVersion } from "../../src/rkllm/versions.ts";

function serve(
  abi: AbiVersion,
  env: Record<string, string>,
  fn: (server: TestServer, client: Ollama) => Promise<void>,
): Promise<void> {
  return withServer({ env, abi }, (server) => fn(server, new Ollama({ host: server.url })));
}

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] e2e: the ollama client lists, shows, chats, generates and sees the loaded model`, async () => {
    await serve(abi, { RKLLM_MOCK_TOKENS: "12", RKLLM_MOCK_THINK: "1" }, async (server, client) => {
      const { version } = await client.version();
      assert.equal(version, "0.9.0");

      const { models } = await client.list();
      assert.deepEqual(models.map((m) => m.name).sort(), ["phi-3-mini-4k-instruct", "qwen3-1.7b"]);
      assert.ok(models.every((m) => m.model === m.name && m.details.format === "rkllm"));
      assert.deepEqual((await client.ps()).models, []);

      const show = await client.show({ model: "qwen3-1.7b:latest" });
      assert.ok(show.capabilities.includes("thinking"));
      assert.equal(show.details.family, "qwen3");

      // Streamed chat: thinking and content arrive separately, then one final line with the stats.
      const stream = await client.chat({
        model: "qwen3-1.7b",
        stream: true,
        messages: [{ role: "user", content: "What is the capital of France?" }],
      });
      let content = "";
      let thinking = "";
      let parts = 0;
      let last: Awaited<ReturnType<typeof client.chat>> | undefined;
      for await (const part of stream) {
        parts++;
        content += part.message.content;
        thinking += part.message.thinking ?? "";
        last = part;
      }
      assert.ok(parts > 2, "several lines");
      assert.ok(content.trim().length > 0, "content streamed");
      assert.ok(thinking.trim().length > 0, "thinking separated");
      assert.ok(!content.includes("<think>") && !content.includes("</think>"));
      assert.equal(last?.done, true);
      assert.equal(last?.done_reason, "stop");
      const runEnd = (await readMockLog(server.mockLog)).find((l) => l.event === "run_end");
      assert.equal(last?.eval_count, runEnd?.tokens, "eval_count = the runtime's token count");
      assert.ok((last?.total_duration ?? 0) > 0);

      const ps = await client.ps();
      assert.deepEqual(ps.models.map((m) => m.name), ["qwen3-1.7b"]);

      // Non-streamed chat on another model, thinking off, with a token limit.
      const reply = await client.chat({
        model: "phi",
        think: false,
        options: { num_predict: 5 },
        messages: [{ role: "user", content: "Hello" }],
      });
      assert.equal(reply.model, "phi-3-mini-4k-instruct");
      assert.equal(reply.done, true);
      assert.equal(reply.done_reason, "length");
      assert.equal(reply.eval_count, 5);
      assert.ok(reply.message.content.length > 0);
      assert.deepEqual((await client.ps()).models.map((m) => m.name), ["phi-3-mini-4k-instruct"]);

      // Generate, streamed and not.
      const generated = await client.generate({ model: "phi", prompt: "Why is the sky blue?" });
      assert.ok((generated.response ?? "").length > 0);
      assert.deepEqual(generated.context, []);
      assert.equal(generated.done_reason, "stop");
      let text = "";
      let done = false;
      for await (
        const part of await client.generate({ model: "phi", prompt: "Again", stream: true })
      ) {
        text += part.response;
        done = part.done;
      }
      assert.ok(text.trim().length > 0);
      assert.ok(done);

      const starts = (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");
      assert.equal(starts.length, 4);
    });
  });

  Deno.test(`[ABI ${abi}] e2e: the ollama client gets Ollama errors and load/unload requests work`, async () => {
    await serve(abi, {}, async (_server, client) => {
      await assert.rejects(
        client.chat({ model: "llama3:8b", messages: [{ role: "user", content: "x" }] }),
        (err: Error & { status_code?: number }) => {
          assert.equal(err.status_code, 404);
          assert.match(err.message, /'llama3:8b' does not exist/);
          return true;
        },
      );
      await assert.rejects(
        client.show({ model: "nope" }),
        (err: Error & { status_code?: number }) => err.status_code === 404,
      );

      const load = await client.generate({ model: "qwen3-1.7b", prompt: "" });
      assert.equal(load.done_reason, "load");
      assert.deepEqual((await client.ps()).models.map((m) => m.name), ["qwen3-1.7b"]);
      const unload = await client.generate({ model: "qwen3-1.7b", prompt: "", keep_alive: 0 });
      assert.equal(unload.done_reason, "unload");
      assert.deepEqual((await client.ps()).models, []);
    });
  });

  Deno.test(`[ABI ${abi}] e2e: aborting an ollama stream aborts the run and frees the NPU`, async () => {
    await serve(
      abi,
      { RKLLM_MOCK_TOKENS: "2000", RKLLM_MOCK_TOKEN_MS: "5" },
      async (server, client) => {
        const stream = await client.chat({
          model: "qwen3-1.7b",
          stream: true,
          messages: [{ role: "user", content: "Tell me a very long story" }],
        });
        let parts = 0;
        await assert.rejects(async () => {
          for await (const _part of stream) {
            if (++parts === 3) stream.abort();
          }
        }, (err: Error) => err.name === "AbortError");
        assert.equal(parts, 3);

        // The next request starts at once and completes.
        const started = performance.now();
        const next = await client.chat({
          model: "qwen3-1.7b",
          options: { num_predict: 3 },
          messages: [{ role: "user", content: "Short one" }],
        });
        assert.equal(next.done_reason, "length");
        assert.ok(performance.now() - started < 5000);

        const log = await readMockLog(server.mockLog);
        assert.ok(log.some((l) => l.fn === "rkllm_abort"), "mock saw rkllm_abort");
        const ends = log.filter((l) => l.event === "run_end");
        assert.equal(ends[0].result, "abort");
        assert.ok((ends[0].tokens ?? 2000) < 2000);
        assert.ok(!log.some((l) => l.overlap === true), "no overlapping runs");
        assert.ok(server.logs.some((l) => l.includes("[ollama] client disconnected")));
      },
    );
  });
}
