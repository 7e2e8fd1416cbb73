import assert from "node:assert/strict";
import { readMockLog } from "../support/mock.ts";
import { readSse, startServer, type TestServer, withServer } from "../support/server.ts";

const post = (server: TestServer, body: Record<string, unknown>, signal?: AbortSignal) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], ...body }),
    signal,
  });

function streamed(data: string[]) {
  const chunks = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));
  return {
    chunks,
    content: chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join(""),
    reasoning: chunks.map((c) => c.choices?.[0]?.delta?.reasoning_content ?? "").join(""),
    finish: chunks.map((c) => c.choices?.[0]?.finish_reason).filter(Boolean),
    error: chunks.find((c) => c.error)?.error,
  };
}

Deno.test("e2e: stop sequences end the answer before the stop text, across token boundaries", async () => {
  await withServer({
    env: { RKLLM_MOCK_REPLY: "one two three END four five", RKLLM_MOCK_CHUNK: "2" },
  }, async (server) => {
    const res = await post(server, { model: "phi", stop: ["END", "never"] });
    const body = await res.json();
    assert.equal(body.choices[0].message.content, "one two three");
    assert.equal(body.choices[0].finish_reason, "stop");
    const s = streamed(
      (await readSse(await post(server, { model: "phi", stream: true, stop: "END" }))).data,
    );
    assert.equal(s.content, "one two three ");
    assert.deepEqual(s.finish, ["stop"]);
    const log = await readMockLog(server.mockLog);
    assert.ok(
      log.filter((l) => l.fn === "rkllm_abort").length >= 2,
      "the run was aborted at the stop",
    );
  });
});

Deno.test("e2e: max_tokens stops the run with finish_reason length", async () => {
  // 2 ms per token: the abort crosses threads well within one token, even on a loaded machine.
  await withServer(
    { env: { RKLLM_MOCK_TOKENS: "100", RKLLM_MOCK_TOKEN_MS: "2" } },
    async (server) => {
      const s = streamed(
        (await readSse(
          await post(server, { model: "phi", stream: true, max_completion_tokens: 5 }),
        ))
          .data,
      );
      assert.deepEqual(s.finish, ["length"]);
      const end = (await readMockLog(server.mockLog)).find((l) => l.event === "run_end");
      assert.equal(end?.result, "abort");
      assert.ok((end?.tokens ?? 100) <= 6);
    },
  );
});

Deno.test("e2e: a run that never produces a token times out, and the next request works", async () => {
  await withServer({
    env: { RKLLM_MOCK_HANG: "1" },
    args: ["--first-token-timeout", "0.3"],
  }, async (server) => {
    const s = streamed((await readSse(await post(server, { model: "phi", stream: true }))).data);
    assert.equal(s.error?.code, "timeout");
    assert.deepEqual(s.finish, []);
    const res = await post(server, { model: "phi" });
    assert.equal(res.status, 504);
    assert.equal((await res.json()).error.code, "timeout");
    const log = await readMockLog(server.mockLog);
    assert.equal(log.filter((l) => l.event === "run_end" && l.result === "abort").length, 2);
  });
});

Deno.test("e2e: the total generation timeout aborts a long run and says the answer was cut", async () => {
  for (const finishAfterAbort of ["0", "1"]) {
    await withServer({
      env: {
        RKLLM_MOCK_TOKENS: "1000",
        RKLLM_MOCK_TOKEN_MS: "10",
        // Some runtimes report completion after an abort: still not a whole answer.
        RKLLM_MOCK_FINISH_AFTER_ABORT: finishAfterAbort,
      },
      args: ["--generation-timeout", "0.3"],
    }, async (server) => {
      const s = streamed((await readSse(await post(server, { model: "phi", stream: true }))).data);
      assert.ok(s.content.length > 0, "tokens before the timeout were delivered");
      assert.deepEqual(s.finish, ["length"], "a cut answer never ends with stop");
      assert.ok(server.logs.some((l) => /WARN.*answer cut by the generation timeout/.test(l)));
      const whole = await post(server, { model: "phi" });
      assert.equal((await whole.json()).choices[0].finish_reason, "length");
    });
  }
});

Deno.test("e2e: a first-token timeout is an error even when the runtime reports completion after the abort", async () => {
  await withServer({
    env: { RKLLM_MOCK_HANG: "1", RKLLM_MOCK_FINISH_AFTER_ABORT: "1" },
    args: ["--first-token-timeout", "0.3"],
  }, async (server) => {
    const s = streamed((await readSse(await post(server, { model: "phi", stream: true }))).data);
    assert.equal(s.error?.code, "timeout");
    assert.deepEqual(s.finish, []);
    const res = await post(server, { model: "phi" });
    assert.equal(res.status, 504);
    await res.body?.cancel();
  });
});

Deno.test("e2e: a runtime error mid-stream becomes an error chunk, then the server serves on", async () => {
  await withServer({ env: { RKLLM_MOCK_ERROR_AT: "3" } }, async (server) => {
    const { data } = await readSse(await post(server, { model: "phi", stream: true }));
    assert.equal(data.at(-1), "[DONE]");
    const s = streamed(data);
    assert.equal(s.error?.code, "generation_failed");
    assert.match(s.error?.message, /mock error at token 3/);
    const res = await post(server, { model: "phi" });
    assert.equal(res.status, 500);
    await res.body?.cancel();
  });
});

Deno.test("e2e: SSE keep-alive comments flow during a long prefill", async () => {
  await withServer({
    env: { RKLLM_MOCK_PREFILL_MS: "600", RKLLM_MOCK_TOKENS: "2" },
    args: ["--keepalive-interval", "0.1"],
  }, async (server) => {
    const { comments, data } = await readSse(await post(server, { model: "phi", stream: true }));
    assert.ok(comments >= 3, `got ${comments} keep-alive comments`);
    assert.deepEqual(streamed(data).finish, ["stop"]);
  });
});

Deno.test("e2e: a prompt that cannot fit is refused with context_length_exceeded before loading", async () => {
  await withServer({}, async (server) => {
    const huge = "word ".repeat(20000);
    const res = await post(server, { model: "phi", messages: [{ role: "user", content: huge }] });
    assert.equal(res.status, 400);
    const err = (await res.json()).error;
    assert.equal(err.code, "context_length_exceeded");
    assert.match(err.message, /\d+/);
    assert.equal(
      (await readMockLog(server.mockLog)).filter((l) => l.fn === "rkllm_init").length,
      0,
    );
  });
});

Deno.test("e2e: long histories are trimmed oldest-first to fit the context", async () => {
  await withServer({ env: { RKLLM_MOCK_TOKENS: "4" } }, async (server) => {
    const messages = [{ role: "system", content: "Keep me." }];
    for (let i = 0; i < 40; i++) {
      messages.push({ role: "user", content: `old question ${i} ${"x".repeat(300)}` });
      messages.push({ role: "assistant", content: `old answer ${i}` });
    }
    messages.push({ role: "user", content: "latest question" });
    const res = await post(server, { model: "phi", messages });
    assert.equal(res.status, 200);
    await res.json();
    const prompt = (await readMockLog(server.mockLog)).find((l) => l.event === "run_start")!
      .prompt as string;
    assert.ok(prompt.startsWith("Keep me.\n"));
    assert.ok(prompt.endsWith("User: latest question"));
    assert.ok(!prompt.includes("old question 0 "), "the oldest turns were dropped");
    assert.ok(prompt.includes("old question 39 "), "the newest turns were kept");
  });
});

Deno.test("e2e: thinking follows the model and the request switches", async () => {
  await withServer({ env: { RKLLM_MOCK_THINK: "1", RKLLM_MOCK_TOKENS: "4" } }, async (server) => {
    const cases: [Record<string, unknown>, boolean][] = [
      [{ model: "qwen3-1.7b" }, true],
      [{ model: "phi" }, false],
      [{ model: "qwen3-1.7b", chat_template_kwargs: { enable_thinking: false } }, false],
      [{ model: "qwen3-1.7b", reasoning_effort: "none" }, false],
      [{ model: "qwen3-1.7b", messages: [{ role: "user", content: "/no_think hi" }] }, false],
    ];
    for (const [body, thinking] of cases) {
      const reply = await (await post(server, body)).json();
      assert.equal(
        Boolean(reply.choices[0].message.reasoning_content),
        thinking,
        JSON.stringify(body),
      );
    }
    const starts = (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");
    assert.deepEqual(starts.map((s) => s.enable_thinking), cases.map(([, t]) => t));
    assert.equal(starts.at(-1)!.prompt, "hi");
  });
});

Deno.test("e2e: a thinking-2507 model's leading reasoning (no opening tag) is reasoning", async () => {
  await withServer({
    env: { RKLLM_MOCK_THINK: "open", RKLLM_MOCK_TOKENS: "5", RKLLM_MOCK_CHUNK: "3" },
    models: { "Qwen3-4B-Thinking-2507": "q.rkllm" },
  }, async (server) => {
    const s = streamed(
      (await readSse(await post(server, { model: "qwen3-4b-thinking-2507", stream: true }))).data,
    );
    assert.ok(s.reasoning.length > 0);
    assert.ok(!s.content.includes("think>"), s.content);
    assert.ok(s.content.length > 0);
  });
});

Deno.test("e2e: SIGTERM ends open streams cleanly, unloads the model and exits 0 quickly", async () => {
  const server = await startServer({
    env: { RKLLM_MOCK_TOKENS: "5000", RKLLM_MOCK_TOKEN_MS: "5" },
  });
  const res = await post(server, { model: "phi", stream: true });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = (await reader.read()).value ?? "";
  const t0 = performance.now();
  const code = server.stop();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  assert.equal(await code, 0);
  assert.ok(performance.now() - t0 < 5000);
  assert.ok(server.logs.some((l) => l.includes("[main] stopped")), "shutdown ran to its end");
  assert.ok(text.endsWith("data: [DONE]\n\n"), text.slice(-200));
  assert.match(text, /"error"/);
});

Deno.test("e2e: embeddings obey the generation timeout and free the NPU", async () => {
  await withServer({
    env: { RKLLM_MOCK_PREFILL_MS: "100" },
    args: ["--generation-timeout", "0.35"],
  }, async (server) => {
    const started = performance.now();
    const res = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      body: JSON.stringify({
        model: "phi",
        input: Array.from({ length: 20 }, (_, i) => `text ${i}`),
      }),
    });
    assert.equal(res.status, 504);
    assert.equal((await res.json()).error.code, "timeout");
    assert.ok(performance.now() - started < 1500, "stopped at the limit, not after 20 inputs");
    const one = await fetch(`${server.url}/v1/embeddings`, {
      method: "POST",
      body: JSON.stringify({ model: "phi", input: "short" }),
    });
    assert.equal(one.status, 200);
    await one.body?.cancel();
  });
});

Deno.test("e2e: a client that stops reading holds neither the NPU nor its connection", async () => {
  await withServer({
    // An answer larger than the loopback socket buffers can hold.
    models: { Big: "big.rkllm" },
    env: { RKLLM_MOCK_TOKENS: "200000" },
    args: [
      "--write-stall-timeout",
      "0.5",
      "--max-new-tokens",
      "200000",
      "--default-context",
      "400000",
    ],
  }, async (server) => {
    // A raw client: sends a streamed request, then reads nothing at all.
    const { port } = new URL(server.url);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(port) });
    const body = JSON.stringify({
      model: "big",
      stream: true,
      max_tokens: 200000,
      messages: [{ role: "user", content: "Tell me everything." }],
    });
    await conn.write(new TextEncoder().encode(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    ));
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    const other = await post(server, { model: "big", max_tokens: 3 });
    assert.equal(other.status, 200, "served while the first client reads nothing");
    await other.body?.cancel();
    assert.ok(performance.now() - started < 5000);
    // The server gives up on the silent reader: its stream is cut.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !server.logs.some((l) => /client disconnected/.test(l))) {
      await new Promise((r) => setTimeout(r, 50));
    }
    conn.close();
    assert.ok(server.logs.some((l) => /client disconnected/.test(l)), "the stalled stream was cut");
  });
});
