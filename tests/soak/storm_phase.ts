/**
 * Phases (b) and (c) on a server with a short queue (`--queue-depth 8`), after a warm-up:
 * (b) a 503 storm, 64 streaming and 16 non-streaming clients that retry as the SDKs do, so
 * most attempts are refused; (c) a quiet phase of 2 clients. Memory is read at rest after the
 * warm-up, the storm and the quiet phase: RSS, /health's V8 figures and the live heap after a
 * forced GC (the server runs with `--inspect` for it). Expected: every request answered in the
 * end, at least one 503 per answer in the storm (the storm happened), each 503 a JSON error
 * with a usable Retry-After, no other 5xx, none in the quiet phase, the call log consistent
 * (no refused attempt ran), RSS growth after the warm-up ≤ 10 MB and a live heap that does not
 * grow with the requests served.
 */
import { join } from "node:path";
import { readMockLog, RUN_MAIN } from "../support/mock.ts";
import { startServer } from "../support/server.ts";
import { judgeLog } from "./call_log.ts";
import { type ClientKind, clientsOf, runClients } from "./clients.ts";
import { probeHealth } from "./health_probe.ts";
import { stopAndJudge, warnLines, type Watchdog } from "./lifecycle.ts";
import { inspectorUrl, LiveHeap, type MemoryReading, readMemory } from "./memory.ts";
import { makePlan, mulberry32 } from "./plan.ts";
import { countOutcomes, fmt, percentile, type PhaseRow, phaseRow, signed } from "./report.ts";
import type { Result } from "./request.ts";
import { HEALTH_POLL_MS, MOCK_ENV, retryingClient, RSS_LIMIT_MB } from "./settings.ts";

const QUEUE_DEPTH = 8;
const STORM_CLIENTS: ClientKind[] = [
  ...clientsOf(64, { stream: true }),
  ...clientsOf(16, { stream: false }),
];
const QUIET_CLIENTS = clientsOf(2);
const QUIET_REQUESTS = 100;
/** The warm-up is the storm itself, shorter: V8 compiles, sizes its heap, malloc its arenas. */
const WARMUP_SHARE = 1 / 3;
/** Rest before each memory reading, so every reading sees the server idle for as long. */
const REST_MS = 2000;
const SAMPLE_EVERY = 100;
/** A leak of a few KB per request shows over hundreds of requests; settling stays below this. */
const LIVE_HEAP_LIMIT_MB = 4;

interface Stage {
  name: string;
  results: Result[];
  health: number[];
  before: MemoryReading;
  after: MemoryReading;
  /** Every RSS reading of the stage, under load and at its end. */
  rss: number[];
}

export async function runStormPhases(
  seed: number,
  stormAnswers: number,
  watchdog: Watchdog,
): Promise<{ rows: PhaseRow[]; failures: string[] }> {
  const warmupAnswers = Math.max(50, Math.round(stormAnswers * WARMUP_SHARE));
  console.log(
    `\n(b, c) depth ${QUEUE_DEPTH}: warm-up storm of ${warmupAnswers} answers, then (b) a storm ` +
      `of ${stormAnswers} answers (64 streaming + 16 non-streaming clients retrying on 503), ` +
      `then (c) ${QUIET_REQUESTS} requests from ${QUIET_CLIENTS.length} clients`,
  );
  const failures: string[] = [];
  const fail = (msg: string) => failures.push(`(b, c) ${msg}`);
  const logDir = await Deno.makeTempDir({ prefix: "rkllm-soak-storm-" });
  const mockLog = join(logDir, "mock-calls.log");
  const server = await startServer({
    env: { ...MOCK_ENV, RKLLM_MOCK_LOG: mockLog },
    args: ["--queue-depth", String(QUEUE_DEPTH)],
    // For the live heap after a forced GC; the inspector adds a constant few MB, not growth.
    command: [Deno.execPath(), RUN_MAIN[0], "--inspect=127.0.0.1:0", ...RUN_MAIN.slice(1)],
  });
  watchdog.watch(server.pid);
  const inspector = inspectorUrl(server.logs);
  const heap = inspector ? await LiveHeap.connect(inspector) : null;
  if (!heap) fail("no inspector address in the server log: live heap not measured");
  console.log(`  server pid ${server.pid} at ${server.url} (inspector ${inspector})`);

  const opts = retryingClient(mulberry32(seed ^ 0x5eed));
  const series: string[] = [];
  let served = 0;
  const rest = async () => {
    await new Promise((r) => setTimeout(r, REST_MS));
    return await readMemory(server.pid, server.url, heap);
  };
  const stage = async (
    name: string,
    requests: number,
    clients: readonly ClientKind[],
    before: MemoryReading,
  ): Promise<Stage> => {
    const plan = makePlan({ seed, requests, label: name, streamShare: 0.5, cutShare: 0 });
    const health = probeHealth(server.url, HEALTH_POLL_MS);
    const rss: number[] = [];
    const reads: Promise<void>[] = [];
    const results = await runClients(server.url, plan, clients, opts, (_, done) => {
      if (++served % SAMPLE_EVERY !== 0) return;
      // Under load: RSS and /health only (a forced GC here would disturb the storm).
      reads.push(
        readMemory(server.pid, server.url).then((m) => {
          rss.push(m.rss);
          series.push(
            `    ${name.padEnd(7)} ${String(done).padStart(5)} done: RSS ${fmt(m.rss)} MB, ` +
              `heap_used ${fmt(m.heapUsed)} / heap_total ${fmt(m.heapTotal)} MB`,
          );
        }),
      );
    });
    const probe = await health.stop();
    await Promise.all(reads);
    for (const f of probe.failures.slice(0, 5)) fail(`${name}: ${f}`);
    const after = await rest();
    rss.push(after.rss);
    return { name, results, health: probe.latencies, before, after, rss };
  };

  const fresh = await readMemory(server.pid, server.url, heap);
  const warmup = await stage("warm-up", warmupAnswers, STORM_CLIENTS, fresh);
  const storm = await stage("storm", stormAnswers, STORM_CLIENTS, warmup.after);
  const quiet = await stage("quiet", QUIET_REQUESTS, QUIET_CLIENTS, storm.after);
  heap?.close();
  const stopped = await stopAndJudge(server, "(b, c)");
  failures.push(...stopped.failures);

  // ---- HTTP side
  for (const s of [warmup, storm, quiet]) {
    const by = countOutcomes(s.results);
    const wrong = s.results.filter((r) => r.outcome !== "ok");
    if (wrong.length) {
      fail(
        `${s.name}: ${wrong.length} requests not answered, e.g.\n` +
          wrong.slice(0, 5).map((r) => `    ${r.outcome}: ${r.detail}`).join("\n"),
      );
    }
    const bad = s.results.flatMap((r) => r.badRejections);
    if (bad.length) fail(`${s.name}: ${bad.length} malformed 503 answers, e.g. ${bad[0]}`);
    if (by["5xx"]) fail(`${s.name}: ${by["5xx"]} answers with a 5xx other than 503`);
  }
  const stormRejections = storm.results.reduce((n, r) => n + r.rejections, 0);
  if (stormRejections < stormAnswers) {
    fail(`the storm got only ${stormRejections} × 503 for ${stormAnswers} answers (want ≥ 1 each)`);
  }
  const quietRejections = quiet.results.reduce((n, r) => n + r.rejections, 0);
  if (quietRejections) fail(`quiet phase: ${quietRejections} × 503 with 2 clients`);

  // ---- the call log: no refused attempt ran, every answer is its one run's text
  const judged = judgeLog(
    await readMockLog(mockLog),
    [...warmup.results, ...storm.results, ...quiet.results],
  );
  failures.push(...judged.failures.map((f) => `(b, c) ${f}`));

  // ---- memory after the warm-up
  const base = warmup.after;
  const peak = (s: Stage) => Math.max(...s.rss) - s.before.rss;
  // Every reading after the warm-up, under load or at rest, against the reading after it.
  const rssGrowth = Math.max(...storm.rss, ...quiet.rss) - base.rss;
  if (!(rssGrowth <= RSS_LIMIT_MB)) {
    fail(
      `RSS grew ${fmt(rssGrowth)} MB after the warm-up (${fmt(base.rss)} MB; storm peak ` +
        `${fmt(Math.max(...storm.rss))}, quiet peak ${fmt(Math.max(...quiet.rss))} MB; ` +
        `limit ${RSS_LIMIT_MB} MB)`,
    );
  }
  const liveGrowth = Math.max(storm.after.live, quiet.after.live) - base.live;
  if (heap && !(liveGrowth <= LIVE_HEAP_LIMIT_MB)) {
    fail(
      `live heap grew ${fmt(liveGrowth)} MB after the warm-up (${fmt(base.live)} → ` +
        `${fmt(storm.after.live)} → ${fmt(quiet.after.live)} MB; limit ${LIVE_HEAP_LIMIT_MB} MB)`,
    );
  }

  // ---- report
  console.log("  memory under load (every 100 requests):");
  console.log(series.join("\n"));
  console.log(`  memory at rest (${REST_MS / 1000} s after each stage; live = after a forced GC):`);
  for (
    const [name, m] of [
      ["fresh", fresh],
      ...[warmup, storm, quiet].map((s) => [s.name, s.after]),
    ] as [string, MemoryReading][]
  ) {
    console.log(
      `    ${name.padEnd(7)} RSS ${fmt(m.rss)} MB, heap_used ${fmt(m.heapUsed)} / ` +
        `heap_total ${fmt(m.heapTotal)} MB, external ${fmt(m.external)} MB, live ${
          fmt(m.live, 2)
        } MB`,
    );
  }
  console.log(
    `    after the warm-up: RSS peak growth ${signed(rssGrowth)} MB (limit ${RSS_LIMIT_MB}), ` +
      `live heap ${signed(liveGrowth)} MB (limit ${LIVE_HEAP_LIMIT_MB})`,
  );
  const retryAfters = storm.results.flatMap((r) => r.retryAfters);
  console.log(
    `  storm: ${stormRejections} × 503 for ${stormAnswers} answers; Retry-After ` +
      `min/median/max ${percentile(retryAfters, 0)}/${percentile(retryAfters, 50)}/` +
      `${percentile(retryAfters, 100)} s; attempts per answer up to ` +
      `${Math.max(...storm.results.map((r) => r.rejections + 1))}`,
  );
  const { walk } = judged;
  console.log(
    `  call log: ${walk.runs} runs (${
      Object.entries(walk.results).map(([k, v]) => `${v} ${k}`).join(", ")
    }), ` +
      `${walk.loads} model loads, ${walk.overlaps} overlaps; server exit ${stopped.exitCode}`,
  );
  for (const [k, v] of warnLines(server.logs)) console.log(`    ${v} × ${k}`);
  if (failures.length) console.log(`  the mock call log is kept for inspection: ${mockLog}`);
  else await Deno.remove(logDir, { recursive: true });

  const row = (label: string, s: Stage) =>
    phaseRow(label, s.results, {
      rssStart: s.before.rss,
      rssEnd: s.after.rss,
      rssPeakGrowth: peak(s),
      liveStart: s.before.live,
      liveEnd: s.after.live,
    }, s.health);
  return {
    rows: [
      row(`warm-up (depth ${QUEUE_DEPTH}, 80 clients)`, warmup),
      row(`(b) storm (depth ${QUEUE_DEPTH}, 64 stream + 16 json)`, storm),
      row("(c) quiet (2 clients)", quiet),
    ],
    failures,
  };
}
