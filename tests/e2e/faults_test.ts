/**
 * The single list of runtime faults and what each one looks like from outside. Every fault must
 * end in a clear error for the client (OpenAI error body with the right status, or for streams an
 * error chunk then `data: [DONE]`), one log line naming the failure in the server's stderr, and a
 * server that serves the next request. Some faults are also covered next to the feature they
 * concern (limits_test.ts, chat_test.ts, cli_test.ts); here each one is kept small.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  makeModelsDir,
  mockLibrary,
  type MockLogLine,
  mockProbe,
  readMockLog,
  ROOT,
  RUN_MAIN,
} from "../support/mock.ts";
import { fileExists } from "../../src/rkllm/library_path.ts";
import { readSse, type TestServer, withServer } from "../support/server.ts";

const PHI = "phi-3-mini-4k-instruct";
const PHI_FILE = "Phi-3-Mini-4K-Instruct/Phi-3-Mini-4K-Instruct-w8a8-rk3588.rkllm";

/** A chat request; `id` becomes the request id, so the server's log lines can be found. */
function chat(
  server: TestServer,
  id: string,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<Response> {
  return fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Request-Id": id },
    body: JSON.stringify({ model: "phi", messages: [{ role: "user", content: "hi" }], ...body }),
    signal,
  });
}

async function errorOf(res: Response, status: number, code: string) {
  const body = await res.json();
  assert.equal(res.status, status, JSON.stringify(body));
  assert.deepEqual(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.equal(body.error.code, code);
  assert.equal(body.error.type, "server_error");
  return body.error as { message: string; code: string; type: string; param: null };
}

function streamed(data: string[]) {
  const chunks = data.filter((d) => d !== "[DONE]").map((d) => JSON.parse(d));
  return {
    content: chunks.map((c) => c.choices?.[0]?.delta?.content ?? "").join(""),
    finish: chunks.map((c) => c.choices?.[0]?.finish_reason).filter(Boolean),
    errors: chunks.filter((c) => c.error).map((c) => c.error),
  };
}

/** A stream that failed: its last two events are one error chunk and `[DONE]`. */
async function streamError(res: Response, code: string) {
  assert.equal(res.status, 200);
  const { data } = await readSse(res);
  assert.equal(data.at(-1), "[DONE]");
  const s = streamed(data);
  assert.equal(s.errors.length, 1, data.join("\n"));
  assert.deepEqual(JSON.parse(data.at(-2)!).error, s.errors[0], "the error chunk comes last");
  assert.equal(s.errors[0].code, code);
  assert.deepEqual(s.finish, [], "no finish_reason after a failure");
  return { ...s, error: s.errors[0] as { message: string; code: string } };
}

/**
 * Waits for the server's WARN/ERROR lines about request `id` (stderr arrives asynchronously)
 * and returns them; there must be exactly one, and it must name the failure.
 */
async function failureLine(server: TestServer, id: string, names: RegExp): Promise<string> {
  const lines = () =>
    server.logs.filter((l) => / (WARN|ERROR) /.test(l) && l.includes(`id=${id} `));
  const deadline = Date.now() + 3000;
  while (lines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50)); // a second line would be a duplicate report
  assert.equal(lines().length, 1, `one failure line for ${id}:\n${server.logs.join("\n")}`);
  assert.match(lines()[0], names);
  return lines()[0];
}

/** Runs main.ts to completion (killed after 20 s, should it start serving after all). */
async function runMain(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...RUN_MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    signal: AbortSignal.timeout(20_000),
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

function assertRefusedToStart(res: { code: number; stderr: string }, path: string): void {
  assert.notEqual(res.code, 0, res.stderr);
  assert.ok(!/listening/.test(res.stderr), "it never listened");
  const errors = res.stderr.split("\n").filter((l) => / ERROR /.test(l));
  assert.equal(errors.length, 1, res.stderr);
  assert.ok(errors[0].includes(path), `the message names ${path}: ${errors[0]}`);
}

const calls = (log: MockLogLine[], fn: string) => log.filter((l) => l.fn === fn);
const runEnds = (log: MockLogLine[]) => log.filter((l) => l.event === "run_end");

Deno.test("fault: no runtime library → the server refuses to start, naming the paths tried", async () => {
  const models = await makeModelsDir({ "Phi-3-Mini-4K-Instruct": "m.rkllm" });
  try {
    const missing = "/nonexistent/librkllmrt.so";
    const byFlag = await runMain(["serve", "--port", "0", "--models", models, "--lib", missing]);
    assertRefusedToStart(byFlag, missing);
    assert.match(byFlag.stderr, /not found; tried: \/nonexistent\/librkllmrt\.so/);
    assert.match(byFlag.stderr, /--lib or RKLLM_LIB_PATH/);
    const byEnv = await runMain(["serve", "--port", "0", "--models", models], {
      RKLLM_LIB_PATH: missing,
    });
    assertRefusedToStart(byEnv, missing);
  } finally {
    await Deno.remove(models, { recursive: true });
  }
});

/** Writes `bytes` as `<dir>/<name>/librkllmrt.so` and returns its path. */
async function fakeLibrary(dir: string, name: string, bytes: Uint8Array): Promise<string> {
  await Deno.mkdir(join(dir, name));
  const path = join(dir, name, "librkllmrt.so");
  await Deno.writeFile(path, bytes);
  return path;
}

Deno.test("fault: a library that cannot be loaded → the server refuses to start, naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rkllm-badlib-" });
  const models = await makeModelsDir({ "Phi-3-Mini-4K-Instruct": "m.rkllm" });
  try {
    const libs = [
      await fakeLibrary(dir, "text", new TextEncoder().encode("this is not a shared library\n")),
      await fakeLibrary(dir, "empty", new Uint8Array()),
      // Only the ELF header of the real library.
      await fakeLibrary(dir, "header", (await Deno.readFile(mockLibrary())).slice(0, 64)),
      // An executable, not a shared object.
      await fakeLibrary(dir, "executable", await Deno.readFile(mockProbe("1.2.3"))),
    ];
    // A library for another CPU, when the cross-compiled mock exists.
    const foreign = join(ROOT, "build", "mock", "aarch64", "v1.2.3", "librkllmrt.so");
    if (Deno.build.arch !== "aarch64" && fileExists(foreign)) libs.push(foreign);
    for (const lib of libs) {
      const res = await runMain(["serve", "--port", "0", "--models", models, "--lib", lib]);
      assertRefusedToStart(res, lib);
      assert.match(res.stderr, /cannot load/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(models, { recursive: true });
  }
});

// A library cut short after its ELF header (an interrupted copy) would fault inside dlopen;
// the server checks the file first and names it.
Deno.test({
  name: "fault: a truncated library → the server refuses to start with a message naming it",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "rkllm-badlib-" });
    const models = await makeModelsDir({ "Phi-3-Mini-4K-Instruct": "m.rkllm" });
    try {
      const whole = await Deno.readFile(mockLibrary());
      const lib = await fakeLibrary(dir, "truncated", whole.slice(0, 4096));
      const res = await runMain(["serve", "--port", "0", "--models", models, "--lib", lib]);
      assertRefusedToStart(res, lib);
      assert.equal(res.code, 1);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(models, { recursive: true });
    }
  },
});

Deno.test("fault: rkllm_init fails → 500 model_load_failed naming the model; no model loaded", async () => {
  await withServer({ env: { RKLLM_MOCK_FAIL_INIT: "1" } }, async (server) => {
    const err = await errorOf(await chat(server, "init-1", {}), 500, "model_load_failed");
    assert.match(err.message, new RegExp(`Failed to load model '${PHI}'`));
    await failureLine(server, "init-1", /Failed to load model 'phi-3-mini-4k-instruct'/);
    // A stream fails the same way: the load happens before the first byte is sent.
    await errorOf(await chat(server, "init-2", { stream: true }), 500, "model_load_failed");
    await failureLine(server, "init-2", /Failed to load model/);
    const select = await fetch(`${server.url}/v1/models/select`, {
      method: "POST",
      body: JSON.stringify({ model: "phi" }),
    });
    assert.match((await errorOf(select, 500, "model_load_failed")).message, new RegExp(PHI));

    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.status, "ok");
    assert.equal(health.model_loaded, false);
    assert.equal(health.current_model, null);
    assert.equal(health.loading_model, null);
    assert.equal(health.busy, false);
    assert.equal((await fetch(`${server.url}/v1/models`)).status, 200);

    const log = await readMockLog(server.mockLog);
    assert.deepEqual(calls(log, "rkllm_init").map((l) => l.ret), [-1, -1, -1]);
    assert.equal(runEnds(log).length, 0);
    assert.equal(calls(log, "rkllm_destroy").length, 0, "no handle to destroy");
  });
});

Deno.test("fault: the model file removed after discovery → a clear error naming it; others work", async () => {
  await withServer({}, async (server) => {
    await Deno.remove(join(server.modelsDir, PHI_FILE));
    const err = await errorOf(await chat(server, "gone-1", {}), 500, "model_load_failed");
    assert.match(err.message, new RegExp(`'${PHI}'.*model file`));
    await failureLine(server, "gone-1", /Failed to load model 'phi-3-mini-4k-instruct'/);

    const other = await chat(server, "gone-2", { model: "qwen3-1.7b", max_tokens: 3 });
    assert.equal(other.status, 200);
    assert.equal((await other.json()).model, "qwen3-1.7b");
    // The failed load rescanned the folder: asked again, the model is gone from the list (no
    // second load attempt), and the other one stays usable.
    const gone = await chat(server, "gone-3", {});
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).error.code, "model_not_found");
    assert.ok(server.logs.some((l) => /model vanished.*phi-3-mini-4k-instruct/.test(l)));
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.status, "ok");
    assert.equal(health.busy, false);

    const inits = calls(await readMockLog(server.mockLog), "rkllm_init");
    assert.deepEqual(inits.map((l) => l.ret), [-1, 0]);
  });
});

// ABI 1.3.0: the per-run max_new_tokens caps the mock's output, so a short follow-up request ends
// before token 3 and succeeds although RKLLM_MOCK_ERROR_AT stays set for the whole process.
Deno.test("fault: a runtime error at token 3 → error chunk + [DONE] when streamed, 500 when not", async () => {
  await withServer({ abi: "1.3.0", env: { RKLLM_MOCK_ERROR_AT: "3" } }, async (server) => {
    const s = await streamError(await chat(server, "err-1", { stream: true }), "generation_failed");
    assert.ok(s.content.length > 0, "the three tokens before the error were delivered");
    assert.match(s.error.message, /mock error at token 3/);
    await failureLine(server, "err-1", /stream ended with an error.*mock error at token 3/);

    const err = await errorOf(await chat(server, "err-2", {}), 500, "generation_failed");
    assert.match(err.message, /mock error at token 3/);
    await failureLine(server, "err-2", /request failed.*mock error at token 3/);

    const next = await chat(server, "err-3", { max_tokens: 2 });
    assert.equal(next.status, 200);
    assert.equal((await next.json()).choices[0].finish_reason, "length");

    const ends = runEnds(await readMockLog(server.mockLog));
    assert.deepEqual(ends.map((l) => l.result), ["error", "error", ends[2].result]);
    assert.notEqual(ends[2].result, "error");
    assert.deepEqual(ends.slice(0, 2).map((l) => l.tokens), [3, 3]);
  });
});

Deno.test("fault: no first token within --first-token-timeout → timeout chunk / 504, run aborted", async () => {
  await withServer({
    env: { RKLLM_MOCK_HANG: "1" },
    args: ["--first-token-timeout", "0.5"],
  }, async (server) => {
    const s = await streamError(await chat(server, "hang-1", { stream: true }), "timeout");
    assert.equal(s.content, "");
    assert.match(s.error.message, /No token within 0\.5s/);
    await failureLine(server, "hang-1", /stream ended with an error.*No token within/);

    // The next request is served (the hung run was aborted and the NPU freed): it gets its own
    // timeout after 0.5 s instead of waiting behind the first run.
    const started = performance.now();
    const err = await errorOf(await chat(server, "hang-2", {}), 504, "timeout");
    assert.match(err.message, /No token within 0\.5s/);
    assert.ok(performance.now() - started < 3000);
    await failureLine(server, "hang-2", /request failed.*No token within/);

    const log = await readMockLog(server.mockLog);
    assert.equal(calls(log, "rkllm_abort").length, 2);
    assert.deepEqual(runEnds(log).map((l) => [l.result, l.tokens]), [["abort", 0], ["abort", 0]]);
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.busy, false);
  });
});

Deno.test("fault: a client gone during prefill aborts the run at once; the next request starts at once", async () => {
  await withServer({
    env: { RKLLM_MOCK_PREFILL_MS: "2000", RKLLM_MOCK_TOKENS: "2" },
  }, async (server) => {
    // Streamed: the role chunk arrives at once, then the client leaves 100 ms after sending.
    const stream = new AbortController();
    const sent = performance.now();
    const res = await chat(server, "gone-stream", { stream: true }, stream.signal);
    const reader = res.body!.getReader();
    await reader.read();
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - sent))));
    stream.abort();
    await reader.cancel().catch(() => {});
    // Not streamed: the client gives up 100 ms into its wait.
    await assert.rejects(chat(server, "gone-plain", {}, AbortSignal.timeout(100)));

    const next = await chat(server, "after", {});
    assert.equal(next.status, 200);
    assert.equal((await next.json()).choices[0].finish_reason, "stop");

    const log = await readMockLog(server.mockLog);
    const ends = runEnds(log);
    const starts = log.filter((l) => l.event === "run_start");
    assert.deepEqual(ends.map((l) => [l.result, l.tokens]), [["abort", 0], ["abort", 0], [
      "finish",
      2,
    ]]);
    for (const i of [0, 1]) {
      assert.ok((ends[i].elapsed_ms as number) < 1000, `run ${i} stopped during its prefill`);
      const abort = calls(log, "rkllm_abort").find((l) => l.seq > starts[i].seq);
      assert.ok(abort && abort.seq < ends[i].seq, `rkllm_abort during run ${i}`);
      const gap = starts[i + 1].t_ms - ends[i].t_ms;
      assert.ok(gap < 500, `the next run started ${gap} ms after the abort`);
    }
    assert.ok(!log.some((l) => l.overlap === true));
    // Each disconnect is logged at INFO, naming the request: a client leaving is not a failure.
    assert.ok(server.logs.some((l) => /client disconnected id=gone-stream\b/.test(l)));
    const deadline = Date.now() + 3000;
    const gone = () => server.logs.some((l) => /INFO .*client gone id=gone-plain\b/.test(l));
    while (!gone() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(gone(), server.logs.join("\n"));
    assert.ok(!server.logs.some((l) => / (WARN|ERROR) .*id=gone-(plain|stream)\b/.test(l)));
  });
});

// ABI 1.3.0 as above. That a clean turn is followed by an incremental one is tested in
// kv_cache_test.ts; here the first turn fails, so the second must start over.
Deno.test("fault: an error at token N leaves no dirty KV-cache record: the next turn resets", async () => {
  await withServer({ abi: "1.3.0", env: { RKLLM_MOCK_ERROR_AT: "3" } }, async (server) => {
    const first = [{ role: "user", content: "first question" }];
    const s = await streamError(
      await chat(server, "kv-1", { stream: true, messages: first }),
      "generation_failed",
    );
    // The client keeps what it received and goes on with the conversation.
    const messages = [...first, { role: "assistant", content: s.content }, {
      role: "user",
      content: "second question",
    }];
    const res = await chat(server, "kv-2", { stream: true, messages });
    await streamError(res, "generation_failed");

    const log = await readMockLog(server.mockLog);
    const [end1, end2] = runEnds(log);
    const start2 = log.filter((l) => l.event === "run_start")[1];
    assert.equal(end1.result, "error");
    assert.ok(end2.seq > start2.seq);
    const clears = calls(log, "rkllm_clear_kv_cache").filter((l) =>
      l.seq > end1.seq && l.seq < start2.seq
    );
    assert.equal(clears.length, 1, "the KV cache was cleared before the second turn");
    assert.match(String(start2.prompt), /first question[\s\S]*second question/);
    assert.equal(start2.kv_len, 0);
    assert.ok(server.logs.some((l) => /\[engine\] run id=kv-2 .*kv=reset/.test(l)));
  });
});
