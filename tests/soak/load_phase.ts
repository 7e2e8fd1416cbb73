/**
 * Phase (a): the default queue settings under a household's load. 16 clients that retry on 503
 * as the SDKs do send the plan's chat requests (stream and non-stream, two models so that model
 * switches are forced); 30 % of the streams disconnect mid-stream. Expected: not one 503 nor any
 * other 5xx, no 4xx, no transport error or client timeout, every stream that was not cut ends
 * with `[DONE]`, every answer is its run's text on the model asked for (call_log.ts), the request
 * after the load succeeds at once and /health then shows an idle queue, the server stops
 * cleanly, and RSS (sampled every 250 requests) grows less than 10 MB over the last half.
 */
import { join } from "node:path";
import { readMockLog } from "../support/mock.ts";
import { startServer } from "../support/server.ts";
import { judgeLog } from "./call_log.ts";
import { clientsOf, runClients } from "./clients.ts";
import { probeHealth } from "./health_probe.ts";
import { stopAndJudge, warnLines, type Watchdog } from "./lifecycle.ts";
import { rssMb } from "./memory.ts";
import { type Job, makePlan, mulberry32, PHI, QWEN } from "./plan.ts";
import { countOutcomes, fmt, type PhaseRow, phaseRow, signed, table } from "./report.ts";
import { type Outcome, runJob } from "./request.ts";
import { HEALTH_POLL_MS, MOCK_ENV, retryingClient, RSS_LIMIT_MB } from "./settings.ts";

const CLIENTS = 16;
const STREAM_SHARE = 0.6;
const CUT_SHARE = 0.3;
const RSS_EVERY = 250;
const FINAL_LIMIT_MS = 1000;
/** The default queue settings: nothing on the command line. */
const SERVER_ARGS: string[] = [];

export async function runLoadPhase(seed: number, requests: number, watchdog: Watchdog): Promise<{
  row: PhaseRow;
  failures: string[];
}> {
  const plan = makePlan({
    seed,
    requests,
    label: "load",
    streamShare: STREAM_SHARE,
    cutShare: CUT_SHARE,
  });
  const planned = {
    stream: plan.filter((j) => j.stream).length,
    cut: plan.filter((j) => j.cutAfter !== null).length,
    qwen: plan.filter((j) => j.model === QWEN).length,
  };
  console.log(
    `\n(a) default queue: ${requests} requests, ${CLIENTS} clients retrying on 503; ` +
      `${planned.stream} streamed (${planned.cut} cut mid-stream), ` +
      `${requests - planned.stream} non-streamed; ${planned.qwen} ${QWEN}, ` +
      `${requests - planned.qwen} ${PHI}`,
  );
  console.log(
    `  mock: ${Object.entries(MOCK_ENV).map(([k, v]) => `${k}=${v}`).join(" ")}; ` +
      `server: ${SERVER_ARGS.join(" ")} (other settings at their defaults)`,
  );

  const failures: string[] = [];
  const fail = (msg: string) => failures.push(`(a) ${msg}`);
  // The call log lives outside the models folder so it survives stop() and shows the shutdown.
  const logDir = await Deno.makeTempDir({ prefix: "rkllm-soak-load-" });
  const mockLog = join(logDir, "mock-calls.log");
  const server = await startServer({
    env: { ...MOCK_ENV, RKLLM_MOCK_LOG: mockLog },
    args: SERVER_ARGS,
  });
  watchdog.watch(server.pid);
  console.log(`  server pid ${server.pid} at ${server.url}`);
  const opts = retryingClient(mulberry32(seed));
  const single = (index: number, model: string, what: string): Job => ({
    index,
    model,
    stream: false,
    cutAfter: null,
    prompt: `soak ${what} (seed ${seed})`,
  });

  // Warm-up: load a model so "RSS start" is the server with a model loaded.
  const warm = await runJob(server.url, single(-1, QWEN, "load warm-up"), opts);
  if (warm.outcome !== "ok") fail(`warm-up request: ${warm.outcome} ${warm.detail}`);

  const samples: { after: number; rss: number }[] = [
    { after: 0, rss: await rssMb(server.pid) },
  ];
  const half = Math.floor(requests / 2);
  const samplePoints = new Set<number>([half, requests]);
  for (let n = RSS_EVERY; n <= requests; n += RSS_EVERY) samplePoints.add(n);
  const pendingSamples: Promise<void>[] = [];
  const health = probeHealth(server.url, HEALTH_POLL_MS);
  const t0 = performance.now();
  const results = await runClients(server.url, plan, clientsOf(CLIENTS), opts, (_, done) => {
    if (samplePoints.has(done)) {
      pendingSamples.push(rssMb(server.pid).then((rss) => void samples.push({ after: done, rss })));
    }
    if (done % 500 === 0 && done < requests) console.log(`  ${done}/${requests} requests done`);
  });
  const loadMs = performance.now() - t0;
  const healthRead = await health.stop();
  await Promise.all(pendingSamples);
  samples.sort((a, b) => a.after - b.after);
  console.log(`  ${requests}/${requests} requests done in ${fmt(loadMs / 1000)} s`);
  for (const f of healthRead.failures.slice(0, 5)) fail(f);

  // The request after the load.
  const finalT0 = performance.now();
  const final = await runJob(server.url, single(-2, PHI, "load final"), opts);
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
  const idleRss = await rssMb(server.pid);

  const stopped = await stopAndJudge(server, "(a)");
  failures.push(...stopped.failures);

  // ---- HTTP side: every 503 counts, retried or not (none is expected at the default depth).
  const byOutcome = countOutcomes(results);
  const examples = (o: Outcome) =>
    results.filter((r) => r.outcome === o).slice(0, 5).map((r) =>
      `    #${r.job.index} ${r.job.model} ${r.job.stream ? "stream" : "json"}: ${r.detail}`
    ).join("\n");
  for (const o of ["4xx", "503", "5xx", "invalid", "transport", "timeout"] as Outcome[]) {
    if (byOutcome[o] > 0) fail(`${byOutcome[o]} ${o} results, e.g.\n${examples(o)}`);
  }
  const all = [...results, warm, final];
  const rejections = all.reduce((n, r) => n + r.rejections, 0);
  if (rejections > 0) {
    fail(`${rejections} × 503 (retried) with ${CLIENTS} clients at the default queue depth`);
  }
  const bad = all.flatMap((r) => r.badRejections);
  if (bad.length) fail(`${bad.length} malformed 503 answers, e.g. ${bad[0]}`);

  // ---- the call log
  const judged = judgeLog(await readMockLog(mockLog), all);
  failures.push(...judged.failures.map((f) => `(a) ${f}`));
  const { walk, match } = judged;

  // ---- memory: the first RSS sample ends the warm-up (V8 compiles, sizes its heap).
  const rssAt = (n: number) => samples.find((s) => s.after === n)?.rss ?? NaN;
  const warmupAt = Math.min(RSS_EVERY, half);
  const rssStart = samples[0].rss;
  const rssWarm = rssAt(warmupAt);
  const rssMid = rssAt(half);
  const rssEnd = rssAt(requests);
  const lastHalfGrowth = rssEnd - rssMid;
  const afterWarmup = Math.max(...samples.filter((s) => s.after >= warmupAt).map((s) => s.rss)) -
    rssWarm;
  if (!(lastHalfGrowth < RSS_LIMIT_MB)) {
    fail(
      `RSS does not settle: +${fmt(lastHalfGrowth)} MB over the last half ` +
        `(${fmt(rssMid)} → ${fmt(rssEnd)} MB, limit ${RSS_LIMIT_MB} MB)`,
    );
  }
  if (!(afterWarmup <= RSS_LIMIT_MB)) {
    fail(
      `RSS grew ${fmt(afterWarmup)} MB after the warm-up (${warmupAt} requests, ` +
        `${fmt(rssWarm)} MB; limit ${RSS_LIMIT_MB} MB)`,
    );
  }

  console.log("  RSS series (server VmRSS):");
  console.log(
    samples.map((s) => `    after ${String(s.after).padStart(5)} requests: ${fmt(s.rss)} MB`)
      .join("\n"),
  );
  console.log(
    `    last-half growth: ${fmt(rssEnd)} - ${fmt(rssMid)} = ${fmt(lastHalfGrowth)} MB ` +
      `(limit < ${RSS_LIMIT_MB} MB); first-half growth ${fmt(rssMid - rssStart)} MB; ` +
      `1 s after the final request (not judged): ${fmt(idleRss)} MB`,
  );
  console.log(
    `    after the warm-up (${warmupAt} requests, ${fmt(rssWarm)} MB): peak growth ` +
      `${signed(afterWarmup)} MB (limit ${RSS_LIMIT_MB} MB)`,
  );
  const warns = warnLines(server.logs);
  console.log(table([
    ["ok", `${byOutcome.ok}`],
    [
      "disconnected on purpose",
      `${byOutcome.disconnected} (planned ${planned.cut}; ${byOutcome["finished-before-cut"]} ` +
      `streams ended before their cut point)`,
    ],
    [
      "  … of which",
      `${match.cutWhileQueued} left before their run, ${match.cutRunAborted} runs aborted, ` +
      `${match.cutRunFinished} runs finished anyway`,
    ],
    ["4xx / 5xx (other than 503)", `${byOutcome["4xx"]} / ${byOutcome["5xx"]}`],
    ["503 (retried + final)", `${rejections} + ${byOutcome["503"]}`],
    [
      "invalid / transport / timeout",
      `${byOutcome.invalid} / ${byOutcome.transport} / ${byOutcome.timeout}`,
    ],
    [
      "runs",
      `${walk.runs} (${Object.entries(walk.results).map(([k, v]) => `${v} ${k}`).join(", ")})`,
    ],
    [
      "aborts",
      `${walk.results.abort ?? 0} runs ended by abort, ${walk.abortCalls} rkllm_abort calls`,
    ],
    ["model loads", `${walk.loads} (${walk.destroys} destroys)`],
    ["overlaps", `${walk.overlaps}`],
    ["requests/s", `${fmt(requests / (loadMs / 1000))}`],
    ["final request", `${fmt(finalMs, 0)} ms, ${final.outcome}`],
    ["server exit on SIGTERM", `${stopped.exitCode}`],
    ["server WARN/ERROR lines", `${[...warns.values()].reduce((a, b) => a + b, 0)}`],
  ]));
  for (const [k, v] of warns) console.log(`    ${v} × ${k}`);
  if (failures.length) console.log(`  the mock call log is kept for inspection: ${mockLog}`);
  else await Deno.remove(logDir, { recursive: true });

  return {
    row: phaseRow("(a) 16 retrying clients, default queue", results, {
      rssStart: rssWarm,
      rssEnd,
      rssPeakGrowth: afterWarmup,
    }, healthRead.latencies),
    failures,
  };
}
