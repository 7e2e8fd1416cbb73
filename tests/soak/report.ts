/**
 * Numbers for the soak's report: percentiles, aligned key/value tables, and the per-phase
 * summary table the closing note quotes. Pure.
 */
import { type Outcome, OUTCOMES, type Result } from "./request.ts";

export const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n) ? n.toFixed(digits) : "n/a";

/** Nearest-rank percentile (p in 0…100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function table(rows: [string, string][]): string {
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n");
}

export function countOutcomes(results: readonly Result[]): Record<Outcome, number> {
  const counts = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const r of results) counts[r.outcome]++;
  return counts;
}

export interface PhaseRow {
  phase: string;
  requests: number;
  /** Complete answers (cut streams are not answers). */
  answers: number;
  /** Every 503 received, retried or not. */
  rejections: number;
  /** Other 5xx results. */
  errors5xx: number;
  /** RSS once warmed up (see the phase), at the end, and the highest reading in between. */
  rssStart: number;
  rssEnd: number;
  rssPeakGrowth: number;
  /** Live heap after a forced GC; NaN when not measured. */
  liveStart: number;
  liveEnd: number;
  /** Answered requests, first attempt to last byte, retry waits included. */
  p50: number;
  p99: number;
  healthP99: number;
}

export function phaseRow(
  phase: string,
  results: readonly Result[],
  memory: {
    rssStart: number;
    rssEnd: number;
    rssPeakGrowth: number;
    liveStart?: number;
    liveEnd?: number;
  },
  healthLatencies: readonly number[],
): PhaseRow {
  const answered = results.filter((r) => r.outcome === "ok" || r.outcome === "finished-before-cut");
  const latencies = answered.map((r) => r.ms);
  return {
    phase,
    requests: results.length,
    answers: answered.length,
    rejections: results.reduce((n, r) => n + r.rejections + (r.outcome === "503" ? 1 : 0), 0),
    errors5xx: results.filter((r) => r.outcome === "5xx").length,
    rssStart: memory.rssStart,
    rssEnd: memory.rssEnd,
    rssPeakGrowth: memory.rssPeakGrowth,
    liveStart: memory.liveStart ?? NaN,
    liveEnd: memory.liveEnd ?? NaN,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    healthP99: percentile(healthLatencies, 99),
  };
}

/** The summary as a fixed-width table (one line per phase). */
export function summaryTable(rows: readonly PhaseRow[]): string {
  const header = [
    "phase",
    "requests",
    "answers",
    "503s",
    "5xx",
    "RSS start→end MB",
    "peak growth",
    "live heap MB",
    "p50/p99 ms",
    "/health p99 ms",
  ];
  const lines = rows.map((r) => [
    r.phase,
    String(r.requests),
    String(r.answers),
    String(r.rejections),
    String(r.errors5xx),
    `${fmt(r.rssStart)}→${fmt(r.rssEnd)}`,
    signed(r.rssPeakGrowth),
    Number.isFinite(r.liveEnd) ? `${fmt(r.liveStart)}→${fmt(r.liveEnd)}` : "-",
    `${fmt(r.p50, 0)}/${fmt(r.p99, 0)}`,
    fmt(r.healthP99, 1),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) =>
    "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [render(header), render(widths.map((w) => "-".repeat(w))), ...lines.map(render)].join(
    "\n",
  );
}

export function signed(n: number): string {
  return Number.isFinite(n) ? `${n >= 0 ? "+" : ""}${n.toFixed(1)}` : "n/a";
}
