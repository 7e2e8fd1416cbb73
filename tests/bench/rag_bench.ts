/**
 * RAG cleaner benchmark on tests/rag/corpus: junk removed, facts kept, irrelevant sources
 * dropped, abstain accuracy and compression, per case, per split and per language; then the
 * pipeline time per request (each case, a 12 KB context, and adversarial requests).
 *
 * Usage: deno task bench:rag [--split=NAME] [--cases=FILE.md] [--details] (splits: SPLITS in
 * tests/rag/corpus/load.ts)
 * (`--details` lists the missed facts, kept junk and kept irrelevant sources of each case;
 * `--cases` measures the cases of a Markdown file instead of the corpus: each fenced `text`
 * block is one case, named by the `### name` heading above it, reported as one split.)
 */
import { type CorpusCase, loadCorpus, parseCase, SPLITS } from "../rag/corpus/load.ts";
import { type CaseResult, EVAL_OPTS, evaluateCase, pct, totals } from "../rag/corpus/evaluate.ts";
import { caseMessages } from "../rag/corpus/load.ts";
import { planRag } from "../../src/rag/pipeline.ts";
import { ADVERSARIAL } from "../rag/adversarial_inputs.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";

const args = new Set(Deno.args);
const onlySplit = Deno.args.find((a) => a.startsWith("--split="))?.slice("--split=".length);
const details = args.has("--details");
const casesFile = Deno.args.find((a) => a.startsWith("--cases="))?.slice("--cases=".length);

/** The cases of a Markdown file: each fenced `text` block under a `### name` heading. */
function markdownCases(path: string): CorpusCase[] {
  const blocks = Deno.readTextFileSync(path).matchAll(/^### (\S+)\n+```text\n([\s\S]*?)^```$/gm);
  // Reported under one split name: the file's cases are all held out from the corpus.
  return [...blocks].map((m) => parseCase(m[1], "heldout", m[2]));
}

const corpus = casesFile
  ? markdownCases(casesFile)
  : loadCorpus().filter((c) => !onlySplit || c.split === onlySplit);
const results = corpus.map((c) => evaluateCase(c));

const f1 = (n: number) => n.toFixed(1).padStart(6);

function row(label: string, rs: readonly CaseResult[]): string {
  const t = totals(rs);
  const comp = rs.reduce((n, r) => n + r.compression, 0) / Math.max(1, rs.length);
  return `${label.padEnd(30)} ${String(t.cases).padStart(3)} ` +
    `${f1(pct(t.junkDropped, t.junk))} ${f1(pct(t.factsKept, t.facts))} ` +
    `${f1(pct(t.irrelevantDropped, t.irrelevant))} ${f1(pct(t.abstainCorrect, t.cases))} ` +
    `${f1(100 * comp)}`;
}

const HEAD =
  `${"".padEnd(30)} ${"n".padStart(3)} ${"junk-%".padStart(6)} ${"fact-%".padStart(6)} ` +
  `${"irr-%".padStart(6)} ${"abst-%".padStart(6)} ${"comp-%".padStart(6)}`;

console.log("Per case (junk removed %, facts kept %, irrelevant sources dropped %,");
console.log("abstain correct %, kept/raw characters %):");
console.log(HEAD);
for (const r of results) {
  console.log(row(`${r.case.split.slice(0, 1)} ${r.case.file.replace(/\.txt$/, "")}`, [r]));
  if (details) {
    for (const f of r.missedFacts) console.log(`    missed fact  ${f}`);
    for (const j of r.keptJunk) console.log(`    kept junk    ${j}`);
    for (const s of r.keptIrrelevant) console.log(`    kept source  [${s}]`);
  }
}

console.log("\nPer split:");
console.log(HEAD);
for (const split of SPLITS) {
  const rs = results.filter((r) => r.case.split === split);
  if (rs.length > 0) console.log(row(split, rs));
}
console.log(row("all", results));

console.log("\nPer language:");
console.log(HEAD);
for (const lang of [...new Set(results.map((r) => r.case.lang))].sort()) {
  for (const split of SPLITS) {
    const rs = results.filter((r) => r.case.lang === lang && r.case.split === split);
    if (rs.length > 0) console.log(row(`${lang} ${split}`, rs));
  }
}

function timeMs(messages: readonly ChatMessage[], runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    planRag(messages, EVAL_OPTS);
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b);
}
const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

// Warm-up so the first case does not pay for compilation.
for (const c of corpus) planRag(caseMessages(c), EVAL_OPTS);
const perCase = corpus.map((c) => quantile(timeMs(caseMessages(c), 20), 0.5)).sort((a, b) => a - b);
console.log(
  `\nTime per request (median of 20 runs per case): p50 ${quantile(perCase, 0.5).toFixed(2)} ms,` +
    ` p95 ${quantile(perCase, 0.95).toFixed(2)} ms`,
);

// A 12 KB context: the sources of all cases, cut at 12 KB, under the first case's question.
const big = loadCorpus().flatMap((c) => c.sources);
const sources = [];
let size = 0;
for (const s of big) {
  if (size >= 12_000) break;
  sources.push(s);
  size += s.lines.join("\n").length;
}
const first = loadCorpus()[0];
const bigMessages = caseMessages({ ...first, sources, history: [] });
const bigTimes = timeMs(bigMessages, 100);
console.log(
  `12 KB context (${size} chars, ${sources.length} chunks, 100 runs): ` +
    `p50 ${quantile(bigTimes, 0.5).toFixed(2)} ms, p95 ${quantile(bigTimes, 0.95).toFixed(2)} ms`,
);

// Adversarial requests (issue 13 finding 10): one run each, after a warm-up on a small input.
console.log("\nAdversarial requests (one run each):");
for (const [name, build] of ADVERSARIAL) {
  const messages = build();
  const size = messages.reduce((n, m) => n + m.content.length, 0);
  const t0 = performance.now();
  const plan = planRag(messages, EVAL_OPTS);
  const ms = performance.now() - t0;
  console.log(
    `  ${name.padEnd(46)} ${(size / 1000).toFixed(0).padStart(5)} KB ` +
      `${ms.toFixed(1).padStart(7)} ms  → ${plan.kind}`,
  );
}
