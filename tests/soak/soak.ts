/**
 * `deno task soak`: a bounded soak of the real server (`main.ts serve`) on the mock runtime, in
 * phases (not part of `deno task test`):
 * - (a) load_phase.ts: the default queue settings, 16 clients that retry on 503 as the SDKs do,
 *   stream cuts and model switches; 0 × 5xx of any kind expected;
 * - warm-up, (b) and (c), storm_phase.ts: a 503 storm at `--queue-depth 8` (64 streaming + 16
 *   non-streaming retrying clients), then a quiet phase; RSS growth after the warm-up ≤ 10 MB.
 * Every random choice comes from a seeded PRNG: the seed is printed; `--seed N`, `--requests N`
 * (phase a) and `--storm N` (answers in phase b) override the defaults. Ends with one summary
 * table (per phase: requests, answers, 503s, 5xx, RSS, live heap, latency, /health p99) and
 * exit 1 with the reasons when any check failed.
 */
import { Watchdog } from "./lifecycle.ts";
import { runLoadPhase } from "./load_phase.ts";
import { summaryTable } from "./report.ts";
import { runStormPhases } from "./storm_phase.ts";

const DEFAULTS = { requests: 2000, storm: 600 };
const RUN_DEADLINE_MS = 10 * 60_000;

interface Args {
  seed: number;
  requests: number;
  storm: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { seed: Math.floor(Math.random() * 0x7fffffff), ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    const n = Number(value);
    const key = name.replace(/^--/, "");
    if (!["--seed", "--requests", "--storm"].includes(name)) {
      throw new Error(`unknown argument ${arg} (use --seed N, --requests N, --storm N)`);
    }
    if (value === undefined || !Number.isSafeInteger(n) || n < 0) {
      throw new Error(`${name} needs a non-negative integer, got ${JSON.stringify(value)}`);
    }
    if (key === "seed") args.seed = n >>> 0;
    else if (n < 1) throw new Error(`${name} must be at least 1`);
    else args[key as "requests" | "storm"] = n;
  }
  return args;
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(Deno.args);
  } catch (err) {
    console.error(`soak: ${(err as Error).message}`);
    return 2;
  }
  const overrides = (["requests", "storm"] as const)
    .filter((k) => args[k] !== DEFAULTS[k])
    .map((k) => ` --${k} ${args[k]}`).join("");
  console.log(
    `rkllm-api soak: seed ${args.seed} (rerun: deno task soak --seed ${args.seed}${overrides})`,
  );
  const t0 = performance.now();
  const watchdog = new Watchdog(RUN_DEADLINE_MS);
  const load = await runLoadPhase(args.seed, args.requests, watchdog);
  const storm = await runStormPhases(args.seed, args.storm, watchdog);
  watchdog.done();
  const failures = [...load.failures, ...storm.failures];

  console.log(
    `\nSummary (seed ${args.seed}; ${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
      "latency: first attempt to last byte of answered requests, retry waits included):",
  );
  console.log(summaryTable([load.row, ...storm.rows]));
  console.log(
    "  RSS: (a) from its 250th request (warm-up) to its end; warm-up: a fresh server to the end " +
      "of the warm-up storm; (b), (c): at rest after the previous stage to at rest after this " +
      "one. Peak growth: the highest reading of the phase (under load or at rest) minus its " +
      "start. Live heap: after a forced full GC, at rest.",
  );
  if (failures.length) {
    console.log(`\nSOAK FAILED (seed ${args.seed}): ${failures.length} problem(s)`);
    for (const f of failures) console.log(`  - ${f}`);
    return 1;
  }
  console.log(`\nSOAK PASSED (seed ${args.seed})`);
  return 0;
}

Deno.exit(await main());
