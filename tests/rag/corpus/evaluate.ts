/**
 * Scores the RAG pipeline on one corpus case: which labelled facts reached the model under
 * their source id, which junk lines did not, which irrelevant sources were dropped, and
 * whether the "nothing useful" outcome matched the labels.
 */
import { planRag, type RagPlanOptions } from "../../../src/rag/pipeline.ts";
import { caseMessages, type CorpusCase } from "./load.ts";

export interface CaseResult {
  case: CorpusCase;
  factsKept: number;
  junkDropped: number;
  irrelevantDropped: number;
  abstained: boolean;
  /** Kept characters / raw source characters (0 when nothing was kept). */
  compression: number;
  missedFacts: string[];
  keptJunk: string[];
  keptIrrelevant: string[];
}

export const EVAL_OPTS: RagPlanOptions = { contextTokens: 4096, answerTokens: 1024 };

const norm = (s: string) => s.replace(/\s+/g, " ").trim();

/** `needle` occurs in `hay` not glued to a letter or digit on either side. */
function containsWord(hay: string, needle: string): boolean {
  let from = 0;
  while (true) {
    const i = hay.indexOf(needle, from);
    if (i < 0) return false;
    const before = hay[i - 1] ?? " ";
    const after = hay[i + needle.length] ?? " ";
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) return true;
    from = i + 1;
  }
}

export function evaluateCase(c: CorpusCase, opts: RagPlanOptions = EVAL_OPTS): CaseResult {
  const plan = planRag(caseMessages(c), opts);
  const kept = plan.kind === "rag" ? plan.pack.kept : [];
  const byId = new Map<string, string>();
  for (const p of kept) byId.set(p.sourceId, `${byId.get(p.sourceId) ?? ""}\n${norm(p.text)}`);
  const all = [...byId.values()].join("\n");
  // A fact copied across sources is kept once, under the id of any source that holds it
  // (duplicates go: the first copy wins).
  const holders = (f: { id: string; text: string }) =>
    new Set([
      f.id,
      ...c.sources.filter((s) => s.lines.some((l) => norm(l) === norm(f.text))).map((s) => s.id),
    ]);
  const missedFacts = c.facts
    .filter((f) => ![...holders(f)].some((id) => (byId.get(id) ?? "").includes(norm(f.text))))
    .map((f) => `[${f.id}] ${f.text}`);
  const keptJunk = c.junk.filter((j) => containsWord(all, norm(j)));
  const keptIrrelevant = c.irrelevant.filter((id) => byId.has(id));
  const raw = c.sources.reduce((n, s) => n + s.lines.join("\n").length, 0);
  const after = kept.reduce((n, p) => n + p.text.length, 0);
  return {
    case: c,
    factsKept: c.facts.length - missedFacts.length,
    junkDropped: c.junk.length - keptJunk.length,
    irrelevantDropped: c.irrelevant.length - keptIrrelevant.length,
    abstained: plan.kind !== "rag",
    compression: raw === 0 ? 0 : after / raw,
    missedFacts,
    keptJunk,
    keptIrrelevant,
  };
}

export interface Totals {
  cases: number;
  facts: number;
  factsKept: number;
  junk: number;
  junkDropped: number;
  irrelevant: number;
  irrelevantDropped: number;
  abstainCorrect: number;
}

export function totals(results: readonly CaseResult[]): Totals {
  const t: Totals = {
    cases: 0,
    facts: 0,
    factsKept: 0,
    junk: 0,
    junkDropped: 0,
    irrelevant: 0,
    irrelevantDropped: 0,
    abstainCorrect: 0,
  };
  for (const r of results) {
    t.cases++;
    t.facts += r.case.facts.length;
    t.factsKept += r.factsKept;
    t.junk += r.case.junk.length;
    t.junkDropped += r.junkDropped;
    t.irrelevant += r.case.irrelevant.length;
    t.irrelevantDropped += r.irrelevantDropped;
    if (r.abstained === r.case.abstain) t.abstainCorrect++;
  }
  return t;
}

/** A share in percent, 100 when there is nothing to count. */
export function pct(part: number, whole: number): number {
  return whole === 0 ? 100 : (100 * part) / whole;
}
