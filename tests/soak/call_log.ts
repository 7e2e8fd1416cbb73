/**
 * The mock's call log, judged: walked by `seq`, it must show no `overlap`, every run_start
 * followed by its own run_end before the next run_start, every run ended, init/destroy only
 * between runs, one model loaded at a time and no destroy that cut a run; and every request's
 * result must match its runs (found by its unique prompt): an answer has exactly one finished
 * run on the model asked for, whose text it is; a rejected or failed request has none.
 */
import type { MockLogLine } from "../support/mock.ts";
import { MODEL_PATH } from "./plan.ts";
import type { Result } from "./request.ts";

export interface LogReport {
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
export function walkLog(log: MockLogLine[]): LogReport {
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

export interface RunMatch {
  /** Replies that do not match the log (described). */
  mismatches: string[];
  /** Runs with a prompt no request sent. */
  unknownPrompts: string[];
  cutWhileQueued: number;
  cutRunAborted: number;
  cutRunFinished: number;
}

/** Matches each request's result to its runs in the log. */
export function matchRuns(results: readonly Result[], walk: LogReport): RunMatch {
  const known = new Set(results.map((r) => r.job.prompt));
  const m: RunMatch = {
    mismatches: [],
    unknownPrompts: [...walk.runsByPrompt.keys()].filter((p) => !known.has(p)),
    cutWhileQueued: 0,
    cutRunAborted: 0,
    cutRunFinished: 0,
  };
  for (const r of results) {
    const runs = walk.runsByPrompt.get(r.job.prompt) ?? [];
    const label = `request ${JSON.stringify(r.job.prompt.split(":")[0])}`;
    if (r.outcome === "ok" || r.outcome === "finished-before-cut") {
      if (runs.length !== 1) {
        m.mismatches.push(`${label} answered but has ${runs.length} runs`);
        continue;
      }
      const { start, end } = runs[0];
      if (end?.result !== "finish") m.mismatches.push(`${label} answered; its run: ${end?.result}`);
      else if (r.content.trim() !== String(end.text).trim()) {
        m.mismatches.push(`${label}: the reply is not its run's text`);
      }
      const path = walk.modelOfHandle.get(start.handle ?? -1) ?? "";
      if (!MODEL_PATH[r.job.model].test(path)) {
        m.mismatches.push(`${label} asked for ${r.job.model}, ran on ${path}`);
      }
    } else if (r.outcome === "disconnected") {
      if (runs.length > 1) m.mismatches.push(`${label} (cut) has ${runs.length} runs`);
      else if (runs.length === 0) m.cutWhileQueued++;
      else if (runs[0].end?.result === "abort") m.cutRunAborted++;
      else if (runs[0].end?.result === "finish") m.cutRunFinished++;
      else m.mismatches.push(`${label} (cut): its run ended ${runs[0].end?.result}`);
    } else if (runs.length > 0) {
      m.mismatches.push(`${label} got ${r.outcome} but has ${runs.length} runs`);
    }
  }
  return m;
}

/** The failures of a server's call log and of the results it served. */
export function judgeLog(log: MockLogLine[], results: readonly Result[]): {
  walk: LogReport;
  match: RunMatch;
  failures: string[];
} {
  const walk = walkLog(log);
  const match = matchRuns(results, walk);
  const failures = walk.problems.map((p) => `call log: ${p}`);
  if (walk.destroys !== walk.loads) {
    failures.push(
      `call log: ${walk.loads} rkllm_init but ${walk.destroys} rkllm_destroy ` +
        "(the model loaded at SIGTERM was never destroyed)",
    );
  }
  for (const p of match.unknownPrompts.slice(0, 5)) {
    failures.push(`call log: a run for an unknown prompt ${JSON.stringify(p)}`);
  }
  if (match.mismatches.length) {
    failures.push(
      `${match.mismatches.length} replies do not match the call log, e.g.\n` +
        match.mismatches.slice(0, 8).map((m) => `    ${m}`).join("\n"),
    );
  }
  return { walk, match, failures };
}
