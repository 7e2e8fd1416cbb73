/**
 * End-to-end tests of the scheduler, through the real server (`main.ts serve`) and the mock
 * runtime: one generation at a time in arrival order, the bounded queue (depth, wait, a client
 * that gives up), model switches, select and unload waiting for the running generation, idle
 * unloading, /health during a load, and 8 concurrent clients on two models. Every claim is
 * checked on the HTTP side and in the mock's call log (run_start/run_end/init/destroy by `seq`).
 */
import assert from "node:assert/strict";
import { type MockLogLine, readMockLog } from "../support/mock.ts";
import { readSse, type TestServer, withServer } from "../support/server.ts";

const QWEN = "qwen3-1.7b";
const PHI = "phi-3-mini-4k-instruct";

interface OpenAIError {
  message: unknown;
  type: unknown;
  param: unknown;
  code: unknown;
}

/** The parts of a completion, a chunk or an error body these tests read. */
interface Payload {
  model?: string;
  choices?: {
    message?: { content?: string | null };
    delta?: { content?: string };
    finish_reason?: string | null;
  }[];
  error?: OpenAIError;
}

interface Reply {
  status: number;
  retryAfter: string | null;
  /** The JSON body of a non-streamed answer (completion or error). */
  json: Payload | null;
  /** The assistant text (the joined deltas when streamed). */
  content: string;
  finish: string | null;
  model: string | null;
  /** Streams: the last payload was `[DONE]`. */
  done: boolean;
  /** Streams: an error chunk, if one came. */
  streamError: OpenAIError | null;
}

interface Health {
  status: string;
  model_loaded: boolean;
  current_model: string | null;
  loading_model: string | null;
  busy: boolean;
  queued: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One chat request whose single user message is `content` (the mock logs it as the prompt). */
async function send(
  server: TestServer,
  model: string,
  content: string,
  opts: { stream?: boolean; signal?: AbortSignal } = {},
): Promise<Reply> {
  const res = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({
      model,
      stream: opts.stream ?? false,
      messages: [{ role: "user", content }],
    }),
    signal: opts.signal,
  });
  const reply: Reply = {
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    json: null,
    content: "",
    finish: null,
    model: null,
    done: false,
    streamError: null,
  };
  if (res.status !== 200 || !opts.stream) {
    const json: Payload = await res.json();
    reply.json = json;
    reply.model = json.model ?? null;
    reply.content = json.choices?.[0]?.message?.content ?? "";
    reply.finish = json.choices?.[0]?.finish_reason ?? null;
    return reply;
  }
  const { data } = await readSse(res);
  reply.done = data.at(-1) === "[DONE]";
  for (const payload of reply.done ? data.slice(0, -1) : data) {
    const chunk: Payload = JSON.parse(payload);
    if (chunk.error) {
      reply.streamError = chunk.error;
      continue;
    }
    reply.model = chunk.model ?? reply.model;
    reply.content += chunk.choices?.[0]?.delta?.content ?? "";
    reply.finish = chunk.choices?.[0]?.finish_reason ?? reply.finish;
  }
  return reply;
}

async function post(
  server: TestServer,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function health(server: TestServer): Promise<Health> {
  const res = await fetch(`${server.url}/health`);
  assert.equal(res.status, 200);
  return await res.json();
}

async function waitHealth(
  server: TestServer,
  what: string,
  pred: (h: Health) => boolean,
  timeoutMs = 5000,
): Promise<Health> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const h = await health(server);
    if (pred(h)) return h;
    if (performance.now() > deadline) {
      assert.fail(`timed out waiting for ${what}; last /health: ${JSON.stringify(h)}`);
    }
    await sleep(10);
  }
}

async function waitLog(
  server: TestServer,
  what: string,
  pred: (log: MockLogLine[]) => boolean,
  timeoutMs = 5000,
): Promise<MockLogLine[]> {
  const deadline = performance.now() + timeoutMs;
  while (true) {
    const log = await readMockLog(server.mockLog);
    if (pred(log)) return log;
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what} in the mock log`);
    await sleep(10);
  }
}

const runStarts = (log: MockLogLine[]) => log.filter((l) => l.event === "run_start");
const calls = (log: MockLogLine[], fn: string) => log.filter((l) => l.fn === fn);

/** The run whose prompt is exactly `prompt` (a single-message chat is sent verbatim). */
function startOf(log: MockLogLine[], prompt: string): MockLogLine {
  const found = runStarts(log).filter((l) => l.prompt === prompt);
  assert.equal(found.length, 1, `one run_start with prompt ${JSON.stringify(prompt)}`);
  return found[0];
}

function endOf(log: MockLogLine[], start: MockLogLine): MockLogLine {
  const end = log.find((l) =>
    l.event === "run_end" && l.handle === start.handle && l.seq > start.seq
  );
  assert.ok(end, `run_end for run_start seq ${start.seq}`);
  return end;
}

const started = (prompt: string) => (log: MockLogLine[]) =>
  runStarts(log).some((l) => l.prompt === prompt);

/**
 * Replays the log in `seq` order and asserts the scheduler's invariants: runs never overlap
 * (every run_start is followed by its own run_end before anything else starts), each run uses
 * the one loaded handle, at most one model is loaded at a time, and loads and destroys happen
 * only between runs. Returns the run and load counts.
 */
function checkSchedule(log: MockLogLine[]): { runs: number; loads: number } {
  let loaded: number | null = null;
  let running: MockLogLine | null = null;
  let runs = 0;
  let loads = 0;
  for (const l of [...log].sort((a, b) => a.seq - b.seq)) {
    if (l.event === "run_start") {
      if (running) assert.fail(`run_start seq ${l.seq} while seq ${running.seq} runs`);
      assert.notEqual(l.overlap, true, `run_start seq ${l.seq} overlaps another run`);
      assert.equal(l.handle, loaded, `run_start seq ${l.seq} uses the loaded handle`);
      running = l;
      runs++;
    } else if (l.event === "run_end") {
      assert.ok(running, `run_end seq ${l.seq} without a run_start`);
      assert.equal(l.handle, running.handle, `run_end seq ${l.seq} pairs with seq ${running.seq}`);
      running = null;
    } else if (l.fn === "rkllm_init") {
      assert.equal(running, null, `rkllm_init seq ${l.seq} during a run`);
      assert.equal(l.ret, 0);
      assert.equal(loaded, null, `rkllm_init seq ${l.seq} while handle ${loaded} is loaded`);
      loaded = l.handle ?? null;
      loads++;
    } else if (l.fn === "rkllm_destroy") {
      assert.equal(running, null, `rkllm_destroy seq ${l.seq} during a run`);
      assert.notEqual(l.destroy_while_running, true, `rkllm_destroy seq ${l.seq} cut a run`);
      assert.equal(l.handle, loaded, `rkllm_destroy seq ${l.seq} frees the loaded handle`);
      loaded = null;
    }
  }
  assert.equal(running, null, "every run ended");
  return { runs, loads };
}

/** A 503 from the queue: Retry-After in whole seconds and an OpenAI error body. */
function assertBusy(reply: Reply): OpenAIError {
  assert.equal(reply.status, 503);
  assert.match(reply.retryAfter ?? "", /^[1-9][0-9]*$/, "Retry-After in whole seconds");
  assert.ok(reply.json);
  assert.deepEqual(Object.keys(reply.json), ["error"]);
  const err = reply.json.error!;
  assert.deepEqual(Object.keys(err).sort(), ["code", "message", "param", "type"]);
  assert.equal(typeof err.message, "string");
  assert.ok((err.message as string).length > 0);
  assert.equal(err.type, "server_error");
  assert.equal(err.code, "server_busy");
  assert.equal(err.param, null);
  return err;
}

/** A reply that ran to its natural end and carries exactly the text of its run. */
function assertCompleted(reply: Reply, model: string, runEnd: MockLogLine, stream: boolean): void {
  assert.equal(reply.status, 200, JSON.stringify(reply.json ?? reply.streamError));
  assert.equal(reply.model, model);
  assert.equal(reply.finish, "stop");
  assert.equal(reply.streamError, null);
  if (stream) assert.ok(reply.done, "stream ended with [DONE]");
  assert.equal(runEnd.result, "finish");
  assert.ok(reply.content.length > 0);
  assert.equal(reply.content.trim(), String(runEnd.text).trim(), "the reply is its run's text");
}

Deno.test("e2e scheduling: one generation at a time; queued requests run in arrival order", async () => {
  await withServer(
    { env: { RKLLM_MOCK_TOKEN_MS: "20", RKLLM_MOCK_TOKENS: "20" } },
    async (server) => {
      const a = send(server, QWEN, "request A", { stream: true });
      await waitLog(server, "A's run_start", started("request A"));
      // B, then C: each is sent only once the previous one is seen waiting, so the send order
      // is also the arrival order.
      const b = send(server, QWEN, "request B");
      await waitHealth(server, "B queued", (h) => h.queued === 1);
      const c = send(server, QWEN, "request C", { stream: true });
      const waiting = await waitHealth(server, "B and C queued", (h) => h.queued === 2);
      assert.equal(waiting.busy, true);
      assert.equal(waiting.current_model, QWEN);

      const [ra, rb, rc] = await Promise.all([a, b, c]);
      const log = await readMockLog(server.mockLog);
      const starts = runStarts(log);
      assert.deepEqual(starts.map((l) => l.prompt), ["request A", "request B", "request C"]);
      assert.ok(!log.some((l) => l.overlap === true), "no run overlapped another");
      const [sa, sb, sc] = ["request A", "request B", "request C"].map((p) => startOf(log, p));
      const [ea, eb, ec] = [sa, sb, sc].map((s) => endOf(log, s));
      assert.ok(ea.seq < sb.seq, "B started after A ended");
      assert.ok(eb.seq < sc.seq, "C started after B ended");
      assertCompleted(ra, QWEN, ea, true);
      assertCompleted(rb, QWEN, eb, false);
      assertCompleted(rc, QWEN, ec, true);
      assert.deepEqual(checkSchedule(log), { runs: 3, loads: 1 });
      const idle = await health(server);
      assert.equal(idle.busy, false);
      assert.equal(idle.queued, 0);
    },
  );
});

Deno.test("e2e scheduling: beyond --queue-depth a request gets 503 at once; the queued one completes", async () => {
  await withServer(
    {
      env: { RKLLM_MOCK_TOKEN_MS: "20", RKLLM_MOCK_TOKENS: "20" },
      args: ["--queue-depth", "1"],
    },
    async (server) => {
      const a = send(server, QWEN, "request A", { stream: true });
      await waitLog(server, "A's run_start", started("request A"));
      const b = send(server, QWEN, "request B");
      await waitHealth(server, "B queued", (h) => h.queued === 1);

      const rc = await send(server, QWEN, "request C");
      // At once: A is still generating and B still waiting.
      const during = await health(server);
      assert.equal(during.busy, true);
      assert.equal(during.queued, 1);
      assert.equal(
        (await readMockLog(server.mockLog)).filter((l) => l.event === "run_end").length,
        0,
        "C was refused while A was still running",
      );
      const err = assertBusy(rc);
      assert.match(err.message as string, /busy/);

      const [ra, rb] = await Promise.all([a, b]);
      const log = await readMockLog(server.mockLog);
      assert.deepEqual(runStarts(log).map((l) => l.prompt), ["request A", "request B"]);
      assertCompleted(ra, QWEN, endOf(log, startOf(log, "request A")), true);
      assertCompleted(rb, QWEN, endOf(log, startOf(log, "request B")), false);
      assert.deepEqual(checkSchedule(log), { runs: 2, loads: 1 });
    },
  );
});

Deno.test("e2e scheduling: a request waiting longer than --queue-timeout gets 503", async () => {
  await withServer(
    {
      env: { RKLLM_MOCK_TOKEN_MS: "20", RKLLM_MOCK_TOKENS: "60" },
      args: ["--queue-timeout", "0.3"],
    },
    async (server) => {
      const a = send(server, QWEN, "request A", { stream: true });
      await waitLog(server, "A's run_start", started("request A"));
      const sent = performance.now();
      const rb = await send(server, QWEN, "request B");
      const waited = performance.now() - sent;
      const err = assertBusy(rb);
      assert.match(err.message as string, /0\.3\s*s/);
      // It did wait in the queue (no immediate refusal), and gave up while A was still running.
      assert.ok(waited >= 200, `B waited ${waited.toFixed(0)} ms before the 503`);
      let log = await readMockLog(server.mockLog);
      assert.equal(log.filter((l) => l.event === "run_end").length, 0, "A still running");
      const after = await health(server);
      assert.equal(after.queued, 0, "B left the queue");

      const ra = await a;
      log = await readMockLog(server.mockLog);
      assert.deepEqual(runStarts(log).map((l) => l.prompt), ["request A"], "B never ran");
      assertCompleted(ra, QWEN, endOf(log, startOf(log, "request A")), true);
      assert.deepEqual(checkSchedule(log), { runs: 1, loads: 1 });
    },
  );
});

Deno.test("e2e scheduling: a queued client that disconnects leaves the queue", async () => {
  await withServer(
    {
      env: { RKLLM_MOCK_TOKEN_MS: "20", RKLLM_MOCK_TOKENS: "40" },
      args: ["--queue-depth", "1"],
    },
    async (server) => {
      const a = send(server, QWEN, "request A", { stream: true });
      await waitLog(server, "A's run_start", started("request A"));
      const ac = new AbortController();
      const b = send(server, QWEN, "request B", { signal: ac.signal });
      await waitHealth(server, "B queued", (h) => h.queued === 1);
      ac.abort();
      await assert.rejects(b, (e: Error) => e.name === "AbortError");
      // The server notices the disconnect and frees B's place while A still runs.
      const freed = await waitHealth(server, "B's place freed", (h) => h.queued === 0);
      assert.equal(freed.busy, true);

      // With depth 1, C is accepted into the queue (a stale B would make it a 503).
      const c = send(server, QWEN, "request C");
      const queued = await waitHealth(server, "C queued", (h) => h.queued === 1);
      assert.equal(queued.busy, true);
      const [ra, rc] = await Promise.all([a, c]);

      const log = await readMockLog(server.mockLog);
      assert.deepEqual(runStarts(log).map((l) => l.prompt), ["request A", "request C"]);
      assert.ok(!log.some((l) => l.prompt === "request B"), "B never reached rkllm_run");
      const ea = endOf(log, startOf(log, "request A"));
      const sc = startOf(log, "request C");
      assert.ok(ea.seq < sc.seq, "C waited for A");
      assertCompleted(ra, QWEN, ea, true);
      assertCompleted(rc, QWEN, endOf(log, sc), false);
      assert.deepEqual(checkSchedule(log), { runs: 2, loads: 1 });
    },
  );
});

Deno.test("e2e scheduling: a model switch waits for the running generation", async () => {
  await withServer(
    { env: { RKLLM_MOCK_TOKEN_MS: "20", RKLLM_MOCK_TOKENS: "20" } },
    async (server) => {
      const a = send(server, QWEN, "request A", { stream: true });
      await waitLog(server, "A's run_start", started("request A"));
      const b = send(server, "phi", "request B");
      const waiting = await waitHealth(server, "B queued", (h) => h.queued === 1);
      assert.equal(waiting.current_model, QWEN, "qwen3 stays loaded while A runs");
      const [ra, rb] = await Promise.all([a, b]);

      const log = await readMockLog(server.mockLog);
      const sa = startOf(log, "request A");
      const ea = endOf(log, sa);
      assertCompleted(ra, QWEN, ea, true);
      assert.equal(ea.tokens, 20, "A was not cut short");
      const destroy = calls(log, "rkllm_destroy").find((l) => l.handle === sa.handle);
      assert.ok(destroy, "A's model was destroyed");
      assert.ok(destroy.seq > ea.seq, `destroy seq ${destroy.seq} after A's run_end ${ea.seq}`);
      assert.equal(destroy.destroy_while_running, false);
      const inits = calls(log, "rkllm_init");
      assert.equal(inits.length, 2);
      assert.match(String(inits[1].params?.model_path), /Phi-3/);
      assert.ok(inits[1].seq > destroy.seq, "phi is loaded after qwen3 was freed");
      const sb = startOf(log, "request B");
      assert.equal(sb.handle, inits[1].handle);
      assertCompleted(rb, PHI, endOf(log, sb), false);
      assert.deepEqual(checkSchedule(log), { runs: 2, loads: 2 });
      assert.equal((await health(server)).current_model, PHI);
    },
  );
});

Deno.test("e2e scheduling: /v1/models/select and /v1/models/unload wait for the running generation", async () => {
  await withServer(
    { env: { RKLLM_MOCK_TOKEN_MS: "20", RKLLM_MOCK_TOKENS: "20" } },
    async (server) => {
      // select during a qwen3 generation.
      const a = send(server, QWEN, "request A", { stream: true });
      await waitLog(server, "A's run_start", started("request A"));
      const select = post(server, "/v1/models/select", { model: "phi" });
      const during = await waitHealth(server, "select queued", (h) => h.queued === 1);
      assert.equal(during.current_model, QWEN);
      assert.equal(during.busy, true);
      const [ra, rs] = await Promise.all([a, select]);
      assert.equal(rs.status, 200);
      assert.deepEqual(rs.json, { status: "ok", model: PHI });
      let log = await readMockLog(server.mockLog);
      const sa = startOf(log, "request A");
      const ea = endOf(log, sa);
      assertCompleted(ra, QWEN, ea, true);
      assert.equal(ea.tokens, 20, "A was not cut short");
      const destroyQwen = calls(log, "rkllm_destroy").find((l) => l.handle === sa.handle);
      assert.ok(destroyQwen && destroyQwen.seq > ea.seq, "qwen3 destroyed after A's run_end");
      const phiInit = calls(log, "rkllm_init").at(-1)!;
      assert.match(String(phiInit.params?.model_path), /Phi-3/);
      assert.ok(phiInit.seq > destroyQwen.seq);
      let h = await health(server);
      assert.equal(h.status, "ok");
      assert.equal(h.model_loaded, true);
      assert.equal(h.current_model, PHI);
      assert.equal(h.busy, false);

      // unload during a phi generation.
      const a2 = send(server, PHI, "request A2", { stream: true });
      await waitLog(server, "A2's run_start", started("request A2"));
      const unload = post(server, "/v1/models/unload");
      const during2 = await waitHealth(server, "unload queued", (h) => h.queued === 1);
      assert.equal(during2.current_model, PHI);
      const [ra2, ru] = await Promise.all([a2, unload]);
      assert.equal(ru.status, 200);
      assert.deepEqual(ru.json, { status: "ok", unloaded: PHI });
      log = await readMockLog(server.mockLog);
      const sa2 = startOf(log, "request A2");
      assert.equal(sa2.handle, phiInit.handle, "A2 ran on the selected model, no reload");
      const ea2 = endOf(log, sa2);
      assertCompleted(ra2, PHI, ea2, true);
      assert.equal(ea2.tokens, 20, "A2 was not cut short");
      const destroyPhi = calls(log, "rkllm_destroy").find((l) => l.handle === sa2.handle);
      assert.ok(destroyPhi && destroyPhi.seq > ea2.seq, "phi destroyed after A2's run_end");
      h = await health(server);
      assert.equal(h.model_loaded, false);
      assert.equal(h.current_model, null);
      assert.equal(h.busy, false);
      assert.deepEqual(checkSchedule(log), { runs: 2, loads: 2 });
    },
  );
});

Deno.test("e2e scheduling: --idle-unload unloads an idle model; the next request reloads it", async () => {
  await withServer(
    { env: { RKLLM_MOCK_TOKENS: "5" }, args: ["--idle-unload", "0.3"] },
    async (server) => {
      const r1 = await send(server, QWEN, "first");
      let log = await readMockLog(server.mockLog);
      assertCompleted(r1, QWEN, endOf(log, startOf(log, "first")), false);
      // model_loaded turns false when the unload starts; busy stays true until rkllm_destroy
      // has returned.
      const unloaded = await waitHealth(
        server,
        "idle unload",
        (h) => !h.model_loaded && !h.busy,
        2000,
      );
      assert.equal(unloaded.current_model, null);
      log = await readMockLog(server.mockLog);
      const destroys = calls(log, "rkllm_destroy");
      assert.equal(destroys.length, 1);
      assert.equal(destroys[0].handle, calls(log, "rkllm_init")[0].handle);

      const r2 = await send(server, QWEN, "second");
      log = await readMockLog(server.mockLog);
      const inits = calls(log, "rkllm_init");
      assert.equal(inits.length, 2, "reloaded");
      const s2 = startOf(log, "second");
      assert.equal(s2.handle, inits[1].handle);
      assert.ok(inits[1].seq > destroys[0].seq);
      assertCompleted(r2, QWEN, endOf(log, s2), false);
      assert.deepEqual(checkSchedule(log), { runs: 2, loads: 2 });
    },
  );
});

Deno.test("e2e scheduling: --idle-unload 0 keeps the model loaded", async () => {
  await withServer(
    { env: { RKLLM_MOCK_TOKENS: "5" }, args: ["--idle-unload", "0"] },
    async (server) => {
      const r = await send(server, QWEN, "first");
      assert.equal(r.status, 200);
      await sleep(1000);
      const h = await health(server);
      assert.equal(h.model_loaded, true);
      assert.equal(h.current_model, QWEN);
      const log = await readMockLog(server.mockLog);
      assert.equal(calls(log, "rkllm_destroy").length, 0);
      assert.equal(calls(log, "rkllm_init").length, 1);
    },
  );
});

Deno.test("e2e scheduling: /health answers during a model load; a request sent meanwhile queues", async () => {
  await withServer(
    { env: { RKLLM_MOCK_INIT_MS: "800", RKLLM_MOCK_TOKENS: "5" } },
    async (server) => {
      const a = send(server, QWEN, "request A");
      // Seen only if the event loop serves HTTP while rkllm_init sleeps.
      const loading = await waitHealth(server, "status loading", (h) => h.status === "loading");
      assert.equal(loading.loading_model, QWEN);
      assert.equal(loading.model_loaded, false);
      assert.equal(loading.current_model, null);
      assert.equal(loading.busy, true);
      const b = send(server, QWEN, "request B");
      const queued = await waitHealth(server, "B queued", (h) => h.queued === 1);
      assert.equal(queued.status, "loading", "B arrived during the load");
      assert.equal(queued.loading_model, QWEN);
      const [ra, rb] = await Promise.all([a, b]);

      const log = await readMockLog(server.mockLog);
      const inits = calls(log, "rkllm_init");
      assert.equal(inits.length, 1, "B reused the model A loaded");
      const sa = startOf(log, "request A");
      const sb = startOf(log, "request B");
      assert.ok(inits[0].seq < sa.seq && sa.seq < sb.seq);
      assertCompleted(ra, QWEN, endOf(log, sa), false);
      assertCompleted(rb, QWEN, endOf(log, sb), false);
      assert.deepEqual(checkSchedule(log), { runs: 2, loads: 1 });
      const after = await health(server);
      assert.equal(after.status, "ok");
      assert.equal(after.loading_model, null);
      assert.equal(after.current_model, QWEN);
    },
  );
});

Deno.test("e2e scheduling: 8 concurrent clients on two models, streamed and not", async () => {
  await withServer(
    { env: { RKLLM_MOCK_TOKEN_MS: "5", RKLLM_MOCK_TOKENS: "10" } },
    async (server) => {
      const jobs = Array.from({ length: 8 }, (_, i) => ({
        prompt: `client ${i} asks`,
        model: i % 2 === 0 ? QWEN : PHI,
        stream: Math.floor(i / 2) % 2 === 0,
      }));
      const replies = await Promise.all(
        jobs.map((j) => send(server, j.model, j.prompt, { stream: j.stream })),
      );
      const log = await readMockLog(server.mockLog);
      const modelPaths = new Map(
        calls(log, "rkllm_init").map((l) => [l.handle, String(l.params?.model_path)]),
      );
      let ok = 0;
      let busy = 0;
      for (const [i, reply] of replies.entries()) {
        const job = jobs[i];
        if (reply.status === 503) {
          assertBusy(reply);
          assert.ok(!log.some((l) => l.prompt === job.prompt), `${job.prompt}: refused, not run`);
          busy++;
          continue;
        }
        const start = startOf(log, job.prompt);
        assertCompleted(reply, job.model, endOf(log, start), job.stream);
        assert.match(
          modelPaths.get(start.handle) ?? "",
          job.model === QWEN ? /Qwen3-1\.7B/ : /Phi-3/,
          `${job.prompt} ran on ${job.model}`,
        );
        ok++;
      }
      assert.equal(busy, 0, "8 clients fit a queue of depth 8");
      assert.equal(ok, 8);
      const { runs, loads } = checkSchedule(log);
      assert.equal(runs, ok);
      assert.equal(log.filter((l) => l.event === "run_end").length, runs);
      assert.equal(calls(log, "rkllm_destroy").length, loads - 1);
      console.log(
        `scheduling load: ${jobs.length} requests, ${ok}x200, ${busy}x503, ${runs} runs, ` +
          `${loads} model loads, ${calls(log, "rkllm_destroy").length} unloads, 0 overlaps`,
      );
    },
  );
});

/**
 * A client that gives up while its model is loading (it already holds the NPU) must not get a
 * whole generation run for nobody, blocking everyone queued behind it.
 */
async function disconnectDuringLoad(stream: boolean): Promise<void> {
  await withServer(
    {
      env: { RKLLM_MOCK_INIT_MS: "300", RKLLM_MOCK_TOKENS: "100", RKLLM_MOCK_TOKEN_MS: "10" },
    },
    async (server) => {
      const ac = new AbortController();
      const a = send(server, QWEN, "request A", { stream, signal: ac.signal });
      await waitHealth(server, "A's model loading", (h) => h.status === "loading");
      ac.abort();
      await assert.rejects(a, (e: Error) => e.name === "AbortError");
      const rb = await send(server, QWEN, "request B");
      const log = await readMockLog(server.mockLog);
      const sa = runStarts(log).find((l) => l.prompt === "request A");
      if (sa) {
        const ea = endOf(log, sa);
        assert.equal(
          ea.result,
          "abort",
          `A's run for a gone client: ${ea.result}, ${ea.tokens} tokens`,
        );
      }
      assertCompleted(rb, QWEN, endOf(log, startOf(log, "request B")), false);
      checkSchedule(log);
    },
  );
}

Deno.test("e2e scheduling: a streaming client that disconnects during its model load frees the NPU", async () => {
  await disconnectDuringLoad(true);
});

Deno.test(
  "e2e scheduling: a non-streamed client that disconnects during its model load frees the NPU",
  async () => {
    await disconnectDuringLoad(false);
  },
);
