/**
 * `deno task soak`: a bounded soak run of the real server (`main.ts serve`) on the mock runtime.
 * Not part of `deno task test`.
 *
 * 16 concurrent clients send 2,000 chat requests in total (stream and non-stream, two models so
 * that model switches are forced); 30 % of the streamed requests disconnect mid-stream after a
 * random number of SSE frames. Every random choice comes from a seeded PRNG, so the plan of a run
 * is reproducible: the seed is printed, `--seed N` and `--requests N` override the defaults.
 *
 * The run fails (exit 1, with the reasons printed) unless:
 * - the server never crashed: it is alive at the end and exits 0 on SIGTERM, after a clean
 *   shutdown;
 * - no 5xx other than 503 (503s are counted apart and reported; none are expected with
 *   `--queue-depth 32`), no 4xx, no transport errors, no client timeouts;
 * - every stream that was not cut on purpose ends with `data: [DONE]`, has exactly one
 *   finish_reason and no error chunk; every answer is its run's text, on the model asked for;
 * - the request after the load succeeds at once (< 1 s), and /health then shows an idle queue;
 * - the mock's call log, walked by `seq`: no `overlap`, every run_start followed by its own
 *   run_end before the next run_start, every run ended, init/destroy only between runs, one
 *   model loaded at a time, no destroy that cut a run;
 * - memory settles: the server's RSS (VmRSS) is sampled every 250 requests, and its growth over
 *   the last half of the run stays below 10 MB.
 */
import { join } from "node:path";
import { type MockLogLine, readMockLog } from "../support/mock.ts";
import { readSse, startServer, type TestServer } from "../support/server.ts";

// ---------------------------------------------------------------- settings

const CLIENTS = 16;
const DEFAULT_REQUESTS = 2000;
const STREAM_SHARE = 0.6;
const DISCONNECT_SHARE = 0.3;
const RSS_EVERY = 250;
const SETTLE_LIMIT_MB = 10;
const FINAL_LIMIT_MS = 1000;
const REQUEST_TIMEOUT_MS = 60_000;
const RUN_DEADLINE_MS = 10 * 60_000;
const TOKENS = 20;

const MOCK_ENV = {
  RKLLM_MOCK_TOKENS: String(TOKENS),
  RKLLM_MOCK_TOKEN_MS: "1",
  RKLLM_MOCK_PREFILL_MS: "2",
  RKLLM_MOCK_INIT_MS: "20",
};
const SERVER_ARGS = ["--queue-depth", "32", "--queue-timeout", "120", "--idle-unload", "0"];

const QWEN = "qwen3-1.7b";
const PHI = "phi-3-mini-4k-instruct";
const MODELS = [QWEN, PHI] as const;
/** Which init `model_path` belongs to which model id. */
const MODEL_PATH: Record<string, RegExp> = { [QWEN]: /Qwen3-1\.7B/, [PHI]: /Phi-3/ };

// ---------------------------------------------------------------- command line

function parseArgs(argv: string[]): { seed: number; requests: number } {
  let seed = Math.floor(Math.random() * 0x7fffffff);
  let requests = DEFAULT_REQUESTS;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    const n = Number(value);
    if (name !== "--seed" && name !== "--requests") {
      throw new Error(`unknown argument ${arg} (use --seed N, --requests N)`);
    }
    if (value === undefined || !Number.isSafeInteger(n) || n < 0) {
      throw new Error(`${name} needs a non-negative integer, got ${JSON.stringify(value)}`);
    }
    if (name === "--seed") seed = n >>> 0;
    else if (n < 1) throw new Error("--requests must be at least 1");
    else requests = n;
  }
  return { seed, requests };
}

// ---------------------------------------------------------------- seeded plan

/** mulberry32: small, fast, good enough to pick request shapes reproducibly. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Job {
  index: number;
  model: string;
  stream: boolean;
  /** Streams only: abort the connection once this many SSE data frames were read. */
  cutAfter: number | null;
  prompt: string;
}

const WORDS = ["river", "lamp", "orbit", "maple", "signal", "copper", "harbor", "violet"];

function makePlan(seed: number, requests: number): Job[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  return Array.from({ length: requests }, (_, index) => {
    const model = pick(MODELS);
    const stream = rand() < STREAM_SHARE;
    // Frame 1 is the role chunk (sent before the NPU is even held), frames 2…TOKENS+1 carry
    // content: a cut after 1…TOKENS frames lands anywhere from "still queued" to "last token".
    const cutAfter = stream && rand() < DISCONNECT_SHARE ? 1 + Math.floor(rand() * TOKENS) : null;
    const words = Array.from({ length: 2 + Math.floor(rand() * 6) }, () => pick(WORDS));
    return {
      index,
      model,
      stream,
      cutAfter,
      prompt: `soak #${index} (seed ${seed}): tell me about ${words.join(" ")}`,
    };
  });
}

// ---------------------------------------------------------------- one request

type Outcome =
  | "ok"
  | "disconnected"
  | "finished-before-cut"
  | "4xx"
  | "503"
  | "5xx"
  | "invalid"
  | "transport"
  | "timeout";

interface Result {
  job: Job;
  outcome: Outcome;
  status: number;
  content: string;
  model: string | null;
  ms: number;
  /** Why an "invalid"/"transport"/"timeout"/"4xx"/"5xx" result is one. */
  detail: string;
}

interface Chunk {
  model?: string;
  choices?: {
    delta?: { content?: string };
    message?: { content?: string | null };
    finish_reason?: string | null;
  }[];
  error?: { message?: string; code?: unknown };
}

function chatBody(job: Pick<Job, "model" | "stream" | "prompt">): string {
  return JSON.stringify({
    model: job.model,
    stream: job.stream,
    messages: [{ role: "user", content: job.prompt }],
  });
}

/** Reads SSE frames until `cutAfter` data frames were seen, then drops the connection. */
async function readUntilCut(
  res: Response,
  cutAfter: number,
  ac: AbortController,
): Promise<{ cut: boolean; data: string[] }> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const data: string[] = [];
  let buf = "";
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) return { cut: false, data };
      buf += value;
      let i: number;
      while ((i = buf.indexOf("\n\n")) !== -1) {
        const frame = buf.slice(0, i);
        buf = buf.slice(i + 2);
        for (const line of frame.split("\n")) {
          if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length >= cutAfter) {
          ac.abort(new DOMException("soak: planned disconnect", "AbortError"));
          await reader.cancel().catch(() => {});
          return { cut: true, data };
        }
      }
    }
  } catch (err) {
    if (ac.signal.aborted) return { cut: true, data };
    throw err;
  }
}

function checkStream(data: string[], expectModel: string): {
  problem: string | null;
  content: string;
  model: string | null;
} {
  let content = "";
  let model: string | null = null;
  const finishes: string[] = [];
  const done = data.at(-1) === "[DONE]";
  const problems: string[] = [];
  if (!done) problems.push("stream did not end with data: [DONE]");
  if (data.filter((d) => d === "[DONE]").length > 1) problems.push("more than one [DONE]");
  for (const payload of done ? data.slice(0, -1) : data) {
    let chunk: Chunk;
    try {
      chunk = JSON.parse(payload);
    } catch {
      problems.push(`unparsable chunk ${JSON.stringify(payload.slice(0, 80))}`);
      continue;
    }
    if (chunk.error) {
      problems.push(`error chunk: ${JSON.stringify(chunk.error)}`);
      continue;
    }
    model = chunk.model ?? model;
    content += chunk.choices?.[0]?.delta?.content ?? "";
    const finish = chunk.choices?.[0]?.finish_reason;
    if (finish != null) finishes.push(finish);
  }
  if (finishes.length !== 1) {
    problems.push(`${finishes.length} finish_reasons (${finishes.join(",")})`);
  } else if (finishes[0] !== "stop") problems.push(`finish_reason ${finishes[0]}`);
  if (model !== expectModel) problems.push(`model ${model}, asked for ${expectModel}`);
  if (!content.trim()) problems.push("empty content");
  return { problem: problems.length ? problems.join("; ") : null, content, model };
}

async function runJob(url: string, job: Job): Promise<Result> {
  const t0 = performance.now();
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new DOMException("soak: request timeout", "TimeoutError"));
  }, REQUEST_TIMEOUT_MS);
  const result = (outcome: Outcome, fields: Partial<Result> = {}): Result => ({
    job,
    outcome,
    status: 0,
    content: "",
    model: null,
    detail: "",
    ...fields,
    ms: performance.now() - t0,
  });
  try {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Request-Id": `soak-${job.index}` },
      body: chatBody(job),
      signal: ac.signal,
    });
    const status = res.status;
    if (status !== 200) {
      const text = await res.text();
      const outcome: Outcome = status === 503
        ? "503"
        : status >= 500
        ? "5xx"
        : status >= 400
        ? "4xx"
        : "invalid";
      return result(outcome, { status, detail: `HTTP ${status}: ${text.slice(0, 200)}` });
    }
    if (!job.stream) {
      const json: Chunk = await res.json();
      const choice = json.choices?.[0];
      const content = choice?.message?.content ?? "";
      const problems: string[] = [];
      if (choice?.finish_reason !== "stop") problems.push(`finish_reason ${choice?.finish_reason}`);
      if (json.model !== job.model) problems.push(`model ${json.model}, asked for ${job.model}`);
      if (!content.trim()) problems.push("empty content");
      return result(problems.length ? "invalid" : "ok", {
        status,
        content,
        model: json.model ?? null,
        detail: problems.join("; "),
      });
    }
    let data: string[];
    if (job.cutAfter !== null) {
      const read = await readUntilCut(res, job.cutAfter, ac);
      if (timedOut) return result("timeout", { status, detail: "timed out mid-stream" });
      if (read.cut) return result("disconnected", { status, detail: `${read.data.length} frames` });
      data = read.data;
    } else {
      data = (await readSse(res)).data;
    }
    const checked = checkStream(data, job.model);
    const outcome: Outcome = checked.problem
      ? "invalid"
      : job.cutAfter !== null
      ? "finished-before-cut"
      : "ok";
    return result(outcome, {
      status,
      content: checked.content,
      model: checked.model,
      detail: checked.problem ?? "",
    });
  } catch (err) {
    if (timedOut) return result("timeout", { detail: `no answer in ${REQUEST_TIMEOUT_MS} ms` });
    return result("transport", { detail: String(err) });
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- memory

/** NaN when the process is gone (a crash then shows up in the other checks). */
async function rssMb(pid: number): Promise<number> {
  try {
    const status = await Deno.readTextFile(`/proc/${pid}/status`);
    return Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

async function heapUsedMb(url: string): Promise<number> {
  try {
    const res = await fetch(`${url}/health`);
    const json = await res.json();
    return Number(json.memory_mb?.heap_used ?? NaN);
  } catch {
    return NaN;
  }
}

interface Sample {
  after: number;
  rss: number;
  heap: number;
}

// ---------------------------------------------------------------- the call log

interface LogReport {
  runs: number;
  runEnds: number;
  results: Record<string, number>;
  abortCalls: number;
  loads: number;
  destroys: number;
  overlaps: number;
  problems: string[];
  /** run_start (with its run_end) per prompt. */
  runsByPrompt: Map<string, { start: MockLogLine; end: MockLogLine | null }[]>;
  modelOfHandle: Map<number, string>;
}

/** Walks the log by `seq` and checks the scheduler's invariants; collects, never throws. */
function walkLog(log: MockLogLine[]): LogReport {
  const r: LogReport = {
    runs: 0,
    runEnds: 0,
    results: {},
    abortCalls: 0,
    loads: 0,
    destroys: 0,
    overlaps: 0,
    problems: [],
    runsByPrompt: new Map(),
    modelOfHandle: new Map(),
  };
  const problem = (msg: string) => {
    if (r.problems.length < 20) r.problems.push(msg);
    else if (r.problems.length === 20) r.problems.push("… (more log problems not shown)");
  };
  let loaded: number | null = null;
  let running: { start: MockLogLine; end: MockLogLine | null } | null = null;
  const sorted = [...log].sort((a, b) => a.seq - b.seq);
  for (const [i, l] of sorted.entries()) {
    if (i > 0 && l.seq !== sorted[i - 1].seq + 1) {
      problem(`log seq jumps from ${sorted[i - 1].seq} to ${l.seq}`);
    }
    if (l.event === "run_start") {
      r.runs++;
      if (l.overlap === true) {
        r.overlaps++;
        problem(`run_start seq ${l.seq} has overlap: true`);
      }
      if (running) {
        problem(`run_start seq ${l.seq} before run seq ${running.start.seq} ended`);
      }
      if (l.handle !== loaded) {
        problem(`run_start seq ${l.seq} on handle ${l.handle}, loaded is ${loaded}`);
      }
      running = { start: l, end: null };
      const prompt = String(l.prompt);
      const list = r.runsByPrompt.get(prompt) ?? [];
      list.push(running);
      r.runsByPrompt.set(prompt, list);
    } else if (l.event === "run_end") {
      r.runEnds++;
      const result = String(l.result);
      r.results[result] = (r.results[result] ?? 0) + 1;
      if (!running) problem(`run_end seq ${l.seq} without a run_start`);
      else if (l.handle !== running.start.handle) {
        problem(
          `run_end seq ${l.seq} (handle ${l.handle}) after run_start seq ${running.start.seq}`,
        );
      } else running.end = l;
      running = null;
    } else if (l.fn === "rkllm_abort") {
      r.abortCalls++;
    } else if (l.fn === "rkllm_init") {
      r.loads++;
      if (running) problem(`rkllm_init seq ${l.seq} during run seq ${running.start.seq}`);
      if (l.ret !== 0) problem(`rkllm_init seq ${l.seq} returned ${l.ret}`);
      if (loaded !== null) problem(`rkllm_init seq ${l.seq} while handle ${loaded} is loaded`);
      loaded = l.handle ?? null;
      if (l.handle != null) r.modelOfHandle.set(l.handle, String(l.params?.model_path));
    } else if (l.fn === "rkllm_destroy") {
      r.destroys++;
      if (running) problem(`rkllm_destroy seq ${l.seq} during run seq ${running.start.seq}`);
      if (l.destroy_while_running === true) problem(`rkllm_destroy seq ${l.seq} cut a run`);
      if (l.handle !== loaded) {
        problem(`rkllm_destroy seq ${l.seq} frees handle ${l.handle}, loaded is ${loaded}`);
      }
      loaded = null;
    }
  }
  if (running) problem(`run seq ${running.start.seq} never ended`);
  if (r.runs !== r.runEnds) problem(`${r.runs} run_start lines but ${r.runEnds} run_end lines`);
  return r;
}

// ---------------------------------------------------------------- output helpers

const fmt = (n: number, digits = 1) => Number.isFinite(n) ? n.toFixed(digits) : "n/a";

function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  let seed: number;
  let requests: number;
  try {
    ({ seed, requests } = parseArgs(Deno.args));
  } catch (err) {
    console.error(`soak: ${(err as Error).message}`);
    return 2;
  }
  const plan = makePlan(seed, requests);
  const planned = {
    stream: plan.filter((j) => j.stream).length,
    cut: plan.filter((j) => j.cutAfter !== null).length,
    qwen: plan.filter((j) => j.model === QWEN).length,
  };
  console.log(
    `rkllm-api soak: seed ${seed}, ${requests} requests, ${CLIENTS} clients ` +
      `(rerun: deno task soak --seed ${seed}${
        requests === DEFAULT_REQUESTS ? "" : ` --requests ${requests}`
      })`,
  );
  console.log(
    `  plan: ${planned.stream} streamed (${planned.cut} cut mid-stream), ` +
      `${requests - planned.stream} non-streamed; ${planned.qwen} ${QWEN}, ` +
      `${requests - planned.qwen} ${PHI}`,
  );
  console.log(
    `  mock: ${Object.entries(MOCK_ENV).map(([k, v]) => `${k}=${v}`).join(" ")}; ` +
      `server: ${SERVER_ARGS.join(" ")}`,
  );

  const failures: string[] = [];
  const fail = (msg: string) => failures.push(msg);

  // The call log lives outside the models folder so it survives stop() and shows the shutdown.
  const logDir = await Deno.makeTempDir({ prefix: "rkllm-soak-" });
  const mockLog = join(logDir, "mock-calls.log");
  const server: TestServer = await startServer({
    env: { ...MOCK_ENV, RKLLM_MOCK_LOG: mockLog },
    args: SERVER_ARGS,
  });
  console.log(`  server pid ${server.pid} at ${server.url}`);

  const watchdog = setTimeout(() => {
    console.error(`soak: no end after ${RUN_DEADLINE_MS / 1000} s; killing the server`);
    try {
      Deno.kill(server.pid, "SIGKILL");
    } catch {
      // gone already
    }
    Deno.exit(2);
  }, RUN_DEADLINE_MS);

  // Warm-up: load a model so "RSS start" is the server with a model loaded.
  const warm = await runJob(server.url, {
    index: -1,
    model: QWEN,
    stream: false,
    cutAfter: null,
    prompt: `soak warm-up (seed ${seed})`,
  });
  if (warm.outcome !== "ok") fail(`warm-up request: ${warm.outcome} ${warm.detail}`);

  const samples: Sample[] = [];
  const takeSample = async (after: number) => {
    samples.push({ after, rss: await rssMb(server.pid), heap: await heapUsedMb(server.url) });
  };
  await takeSample(0);
  const half = Math.floor(requests / 2);
  const samplePoints = new Set<number>([half, requests]);
  for (let n = RSS_EVERY; n <= requests; n += RSS_EVERY) samplePoints.add(n);

  // ---- the load
  const results: Result[] = new Array(requests);
  let next = 0;
  let completed = 0;
  const pendingSamples: Promise<void>[] = [];
  const t0 = performance.now();
  const client = async () => {
    while (next < requests) {
      const job = plan[next++];
      results[job.index] = await runJob(server.url, job);
      completed++;
      if (samplePoints.has(completed)) pendingSamples.push(takeSample(completed));
      if (completed % 500 === 0 && completed < requests) {
        console.log(`  ${completed}/${requests} requests answered`);
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const loadMs = performance.now() - t0;
  await Promise.all(pendingSamples);
  console.log(`  ${completed}/${requests} requests answered in ${fmt(loadMs / 1000)} s`);

  // ---- the request after the load
  const finalT0 = performance.now();
  const final = await runJob(server.url, {
    index: -2,
    model: PHI,
    stream: false,
    cutAfter: null,
    prompt: `soak final (seed ${seed})`,
  });
  const finalMs = performance.now() - finalT0;
  if (final.outcome !== "ok") fail(`final request: ${final.outcome} ${final.detail}`);
  if (finalMs >= FINAL_LIMIT_MS) {
    fail(`final request took ${fmt(finalMs, 0)} ms (limit ${FINAL_LIMIT_MS} ms)`);
  }
  try {
    const h = await (await fetch(`${server.url}/health`)).json();
    if (h.busy !== false || h.queued !== 0) {
      fail(`after the load /health shows busy=${h.busy} queued=${h.queued}`);
    }
  } catch (err) {
    fail(`/health after the load: ${err}`);
  }

  // Informational: RSS after a second of idleness (V8 may shrink or collect when idle).
  await new Promise((r) => setTimeout(r, 1000));
  const idle: Sample = {
    after: requests,
    rss: await rssMb(server.pid),
    heap: await heapUsedMb(server.url),
  };

  // ---- the server is alive, then stops cleanly
  let alive = false;
  try {
    const state = (await Deno.readTextFile(`/proc/${server.pid}/status`)).match(
      /State:\s+(\S)/,
    )?.[1];
    alive = state !== undefined && state !== "Z" && state !== "X";
  } catch {
    alive = false;
  }
  if (!alive) fail(`server process ${server.pid} is not alive after the load`);
  const exitCode = await server.stop();
  clearTimeout(watchdog);
  if (exitCode !== 0) fail(`server exited with code ${exitCode} on SIGTERM`);
  if (server.logs.some((l) => l.includes("shutdown took too long"))) {
    fail('shutdown hit the forced exit ("shutdown took too long")');
  }
  // main.ts promises: on SIGTERM abort the run, destroy the model, log "stopped", exit 0.
  const stoppedCleanly = server.logs.some((l) => /\[main\] stopped/.test(l));
  if (!stoppedCleanly) {
    fail(
      'SIGTERM: exit code 0, but the shutdown did not finish (no "[main] stopped" line); ' +
        `last server lines:\n${server.logs.slice(-3).map((l) => `    ${l}`).join("\n")}`,
    );
  }

  // ---- HTTP side
  const count = (o: Outcome) => results.filter((r) => r.outcome === o).length;
  const byOutcome = Object.fromEntries(
    ([
      "ok",
      "disconnected",
      "finished-before-cut",
      "4xx",
      "503",
      "5xx",
      "invalid",
      "transport",
      "timeout",
    ] as Outcome[]).map((o) => [o, count(o)]),
  ) as Record<Outcome, number>;
  const examples = (o: Outcome) =>
    results.filter((r) => r.outcome === o).slice(0, 5).map((r) =>
      `    #${r.job.index} ${r.job.model} ${r.job.stream ? "stream" : "json"}: ${r.detail}`
    ).join("\n");
  for (const o of ["4xx", "5xx", "invalid", "transport", "timeout"] as Outcome[]) {
    if (byOutcome[o] > 0) fail(`${byOutcome[o]} ${o} results, e.g.\n${examples(o)}`);
  }

  // ---- the call log
  const log = await readMockLog(mockLog);
  const walk = walkLog(log);
  for (const p of walk.problems) fail(`call log: ${p}`);
  if (walk.destroys !== walk.loads) {
    fail(
      `call log: ${walk.loads} rkllm_init but ${walk.destroys} rkllm_destroy ` +
        "(the model loaded at SIGTERM was never destroyed)",
    );
  }
  // Runs per request, by the request's unique prompt.
  const known = new Set([...plan.map((j) => j.prompt), warm.job.prompt, final.job.prompt]);
  for (const prompt of walk.runsByPrompt.keys()) {
    if (!known.has(prompt)) fail(`call log: a run for an unknown prompt ${JSON.stringify(prompt)}`);
  }
  let cutWhileQueued = 0;
  let cutRunAborted = 0;
  let cutRunFinished = 0;
  const mismatches: string[] = [];
  for (const r of [...results, warm, final]) {
    const runs = walk.runsByPrompt.get(r.job.prompt) ?? [];
    const label = `request #${r.job.index}`;
    if (r.outcome === "ok" || r.outcome === "finished-before-cut") {
      if (runs.length !== 1) {
        mismatches.push(`${label} answered but has ${runs.length} runs`);
        continue;
      }
      const { start, end } = runs[0];
      if (end?.result !== "finish") mismatches.push(`${label} answered; its run: ${end?.result}`);
      else if (r.content.trim() !== String(end.text).trim()) {
        mismatches.push(`${label}: the reply is not its run's text`);
      }
      const path = walk.modelOfHandle.get(start.handle ?? -1) ?? "";
      if (!MODEL_PATH[r.job.model].test(path)) {
        mismatches.push(`${label} asked for ${r.job.model}, ran on ${path}`);
      }
    } else if (r.outcome === "disconnected") {
      if (runs.length > 1) mismatches.push(`${label} (cut) has ${runs.length} runs`);
      else if (runs.length === 0) cutWhileQueued++;
      else if (runs[0].end?.result === "abort") cutRunAborted++;
      else if (runs[0].end?.result === "finish") cutRunFinished++;
      else mismatches.push(`${label} (cut): its run ended ${runs[0].end?.result}`);
    } else if (runs.length > 0) {
      mismatches.push(`${label} got ${r.outcome} but has ${runs.length} runs`);
    }
  }
  if (mismatches.length) {
    fail(
      `${mismatches.length} replies do not match the call log, e.g.\n` +
        mismatches.slice(0, 8).map((m) => `    ${m}`).join("\n"),
    );
  }

  // ---- memory
  const rssAt = (n: number) => samples.find((s) => s.after === n)?.rss ?? NaN;
  const rssStart = samples[0].rss;
  const rssMid = rssAt(half);
  const rssEnd = rssAt(requests);
  const rssPeak = Math.max(...samples.map((s) => s.rss));
  const lastHalfGrowth = rssEnd - rssMid;
  if (!(lastHalfGrowth < SETTLE_LIMIT_MB)) {
    fail(
      `RSS does not settle: +${fmt(lastHalfGrowth)} MB over the last half ` +
        `(${fmt(rssMid)} → ${fmt(rssEnd)} MB, limit ${SETTLE_LIMIT_MB} MB)`,
    );
  }

  // ---- server log oddities (reported, not judged)
  const warnLines = server.logs.filter((l) => / (WARN|ERROR) /.test(l));

  // ---- report
  console.log("\nRSS series (server VmRSS; V8 heap_used from /health):");
  console.log(
    samples.sort((a, b) => a.after - b.after).map((s) =>
      `  after ${String(s.after).padStart(5)} requests: RSS ${fmt(s.rss).padStart(6)} MB, ` +
      `heap ${fmt(s.heap).padStart(5)} MB`
    ).join("\n"),
  );
  console.log(
    `  last-half growth: ${fmt(rssEnd)} - ${fmt(rssMid)} = ${fmt(lastHalfGrowth)} MB ` +
      `(limit < ${SETTLE_LIMIT_MB} MB); first-half growth ${fmt(rssMid - rssStart)} MB`,
  );
  console.log(
    `  1 s after the final request (not judged): RSS ${fmt(idle.rss)} MB, ` +
      `heap ${fmt(idle.heap)} MB`,
  );

  const results503 = byOutcome["503"];
  const errors5xx = byOutcome["5xx"];
  const runEndsAborted = walk.results.abort ?? 0;
  console.log(`\nSummary (seed ${seed}):`);
  console.log(table([
    ["requests", `${requests} (+ warm-up + final)`],
    ["ok", `${byOutcome.ok}`],
    [
      "disconnected on purpose",
      `${byOutcome.disconnected} (planned ${planned.cut}; ${byOutcome["finished-before-cut"]} ` +
      `streams ended before their cut point)`,
    ],
    [
      "  … of which",
      `${cutWhileQueued} left before their run, ${cutRunAborted} runs aborted, ` +
      `${cutRunFinished} runs finished anyway`,
    ],
    ["4xx", `${byOutcome["4xx"]}`],
    ["503", `${results503}${results503 ? "  <-- unexpected with --queue-depth 32" : ""}`],
    ["5xx (other)", `${errors5xx}`],
    [
      "invalid / transport / timeout",
      `${byOutcome.invalid} / ${byOutcome.transport} / ${byOutcome.timeout}`,
    ],
    [
      "runs",
      `${walk.runs} (${Object.entries(walk.results).map(([k, v]) => `${v} ${k}`).join(", ")})`,
    ],
    ["aborts", `${runEndsAborted} runs ended by abort, ${walk.abortCalls} rkllm_abort calls`],
    ["model loads", `${walk.loads} (${walk.destroys} destroys)`],
    ["overlaps", `${walk.overlaps}`],
    ["RSS start/peak/end", `${fmt(rssStart)} / ${fmt(rssPeak)} / ${fmt(rssEnd)} MB`],
    ["wall time", `${fmt(loadMs / 1000)} s (load phase)`],
    ["requests/s", `${fmt(requests / (loadMs / 1000))}`],
    ["final request", `${fmt(finalMs, 0)} ms, ${final.outcome}`],
    ["server exit on SIGTERM", `${exitCode}`],
    ["server WARN/ERROR lines", `${warnLines.length}`],
  ]));
  if (warnLines.length) {
    const kinds = new Map<string, number>();
    for (const l of warnLines) {
      // The message and its fields, without the time and the per-request id.
      const key = l.replace(/^\S+ /, "").replace(/ id=\S+/, "");
      kinds.set(key, (kinds.get(key) ?? 0) + 1);
    }
    console.log("  server WARN/ERROR lines by message:");
    for (const [k, v] of kinds) console.log(`    ${v} × ${k}`);
  }
  if (results503) console.log(`  note: ${results503} × 503 (queue full or queue timeout)`);

  if (failures.length) {
    console.log(`\n  the mock call log is kept for inspection: ${mockLog}`);
    console.log(`\nSOAK FAILED (seed ${seed}): ${failures.length} problem(s)`);
    for (const f of failures) console.log(`  - ${f}`);
    return 1;
  }
  await Deno.remove(logDir, { recursive: true });
  console.log(`\nSOAK PASSED (seed ${seed})`);
  return 0;
}

Deno.exit(await main());
