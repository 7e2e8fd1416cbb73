/**
 * Selection: retrieved sources → the lines a small model should read, under their Open WebUI
 * ids. Each source's lines are classified by features (lines.ts) and junk is dropped; what is
 * left is grouped into units (a prose line; a run of fields, list items, table rows or code
 * lines together with the line ending in ":" that introduces it, so structure stays intact);
 * units are deduplicated across sources and overlapping chunks (earlier wins); every unit is
 * scored with BM25 against the question (and, weaker, the recent conversation). A source whose
 * best unit covers too little of the question is dropped; within a kept source a unit must
 * reach a share of the source's best score (a neighbour's relevance counts half, so a fact
 * sentence next to the matching one stays). The best units fill the budget and go back in page
 * order (at most MAX_PARAGRAPHS units, as before). Nothing left means the search found nothing useful.
 *
 * Pure: no Deno APIs, no clock, no I/O.
 */
import { dedupe, dropRepeatedSentences } from "./dedupe.ts";
import type { RagSource } from "./detect.ts";
import { classifyLine, type LineKind } from "./lines.ts";
import { bm25, type QueryTerm, termMatch } from "./relevance.ts";
import { removeStaleDates } from "./stale_dates.ts";
import { detectLanguage, isCjk, isStopword, type Language, words } from "./text.ts";

export interface KeptParagraph {
  sourceId: string;
  text: string;
  /** The relevance that admitted it (BM25, with what it borrowed from its neighbours). */
  score: number;
}

export interface PackResult {
  /** In source order, then page order. */
  kept: KeptParagraph[];
  /** Highest BM25 score of any unit (0 when there were none). */
  bestScore: number;
  /** True when nothing was relevant enough to keep. */
  floorTriggered: boolean;
  /** Characters of the raw source texts. */
  charsBefore: number;
  /** Characters of the kept texts. */
  charsAfter: number;
  /** Units dropped as duplicates (exact, near, or all their sentences repeated). */
  droppedDuplicates: number;
}

/** At most this many units are kept. */
export const MAX_PARAGRAPHS = 10;

export interface Unit {
  sourceId: string;
  /** Index of the source the unit came from (chunks may share an id). */
  source: number;
  text: string;
  /** Every line is a `label: value` field: a spec or a profile, kept on its own relevance. */
  fields: boolean;
  /** No junk line was dropped between this unit and the one before it. */
  joined: boolean;
}

/** A source whose best unit covers less of the question's weight than this is dropped. */
export const SOURCE_COVERAGE = 0.14;
/** Within a kept source, a unit needs this share of the best unit's (smoothed) score. */
export const RELATIVE_FLOOR = 0.2;
const NEIGHBOUR_SHARE = 0.5;
const CONVERSATION_WEIGHT = 0.3;
const CONVERSATION_TURNS = 4;
const SEPARATOR_COST = 2;

const STRUCTURE: ReadonlySet<LineKind> = new Set(["field", "item", "code"]);

/** The readable units of one source, in page order. */
export function sourceUnits(source: RagSource, index: number): Unit[] {
  const text = removeStaleDates(source.text);
  const lang = detectLanguage(words(text), text);
  const units: Unit[] = [];
  let block: string[] = [];
  let open = false; // the block takes more structure lines
  let fields = true;
  let joined = false;
  const flush = () => {
    if (block.length > 0) {
      units.push({ sourceId: source.id, source: index, text: block.join("\n"), fields, joined });
      joined = true;
    }
    block = [];
    open = false;
    fields = true;
  };
  for (const raw of text.split("\n")) {
    const line = raw.trim().replace(/\s{2,}/g, " ");
    if (line === "") {
      flush();
      continue;
    }
    const kind = classifyLine(line, lang);
    if (kind === "junk") {
      flush();
      joined = false;
      continue;
    }
    if (STRUCTURE.has(kind)) {
      if (!open) flush();
      if (kind !== "field") fields = false;
      block.push(line);
      open = true;
    } else {
      flush();
      fields = false;
      block.push(line);
      open = /[:：]$/.test(line);
      if (!open) flush();
    }
  }
  flush();
  return units;
}

/** Question words weighted 1, recent conversation words weighted less; stopwords left out. */
export function queryTerms(question: string, conversation: readonly string[]): QueryTerm[] {
  const terms = new Map<string, number>();
  const add = (text: string, weight: number) => {
    const tokens = words(text);
    const lang: Language = detectLanguage(tokens, text);
    for (const w of tokens) {
      if ((w.length < 2 && !isCjk(w)) || isStopword(w, lang) || isStopword(w, "en")) continue;
      terms.set(w, Math.max(terms.get(w) ?? 0, weight));
    }
  };
  add(question, 1);
  for (const turn of conversation.slice(-CONVERSATION_TURNS)) add(turn, CONVERSATION_WEIGHT);
  return [...terms].map(([term, weight]) => ({ term, weight }));
}

function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length >= 3 && !/\d/.test(w));
}

/** Two units share a content word (exactly or partly): the second continues the first. */
function continues(next: Unit, prev: Unit): boolean {
  const a = contentWords(prev.text);
  const b = contentWords(next.text);
  if (isCjk(next.text)) return b.some((w) => w.length >= 2 && prev.text.includes(w));
  return b.some((w) => a.some((v) => termMatch(w, v) > 0));
}

/**
 * The relevance a unit borrows from its neighbours: a list or code block from either side (the
 * steps under a matching sentence), a prose line only from the line before it when it goes on
 * about the same thing, a field block none (profile chrome sits next to answers).
 */
function neighbourScore(
  units: readonly Unit[],
  scores: readonly number[],
  idx: readonly number[],
  k: number,
): number {
  const unit = units[idx[k]];
  if (unit.fields) return 0;
  const prev = idx[k - 1];
  const next = idx[k + 1];
  const structured = unit.text.includes("\n") || /^(?:[-*•·–]|\d{1,2}[.)])\s/.test(unit.text);
  if (structured) return Math.max(scores[prev] ?? 0, scores[next] ?? 0);
  // A question or exclamation to the reader (a prompt to comment, subscribe, rate) borrows none.
  if (/[?!？！]/.test(unit.text)) return 0;
  if (prev === undefined || !(unit.joined || continues(unit, units[prev]))) return 0;
  return scores[prev];
}

/** Share of the question terms (weight 1) that a unit's words match. */
function coverage(terms: readonly QueryTerm[], unit: Unit, unitWords: readonly string[]): number {
  const own = terms.filter((t) => t.weight === 1);
  if (own.length === 0) return 0;
  const lower = unit.text.toLowerCase();
  let matched = 0;
  for (const { term } of own) {
    if (isCjk(term)) matched += lower.includes(term) ? 1 : 0;
    else matched += Math.max(0, ...unitWords.map((w) => termMatch(term, w)));
  }
  return matched / own.length;
}

/**
 * The kept context for a question. `conversation`: the earlier turns' texts, oldest first;
 * `charsBefore`: the raw size of the sources (for the log).
 */
export function selectContext(
  sources: readonly RagSource[],
  question: string,
  conversation: readonly string[],
  budgetChars: number,
  charsBefore: number,
  /** The question is about the page itself ("summarize the article"): every source counts. */
  aboutSources = false,
): PackResult {
  const all = sources.flatMap((s, i) => sourceUnits(s, i));
  const unique = dropRepeatedSentences(dedupe(all));
  const terms = queryTerms(question, conversation);
  const unitWords = unique.map((u) => words(u.text));
  const scores = bm25(terms, unique.map((u, i) => ({ words: unitWords[i], text: u.text })));
  const bestScore = Math.max(0, ...scores);

  /** `own`: the unit's own BM25, which ranks it; `score` (with borrowed relevance) admits it. */
  const candidates: { unit: Unit; order: number; score: number; own: number }[] = [];
  for (let s = 0; s < sources.length; s++) {
    const idx = unique.flatMap((u, i) => u.source === s ? [i] : []);
    if (aboutSources) {
      for (const i of idx) candidates.push({ unit: unique[i], order: i, score: 1, own: 1 });
      continue;
    }
    if (!idx.some((i) => coverage(terms, unique[i], unitWords[i]) >= SOURCE_COVERAGE)) continue;
    const smooth = idx.map((i, k) =>
      scores[i] + NEIGHBOUR_SHARE * neighbourScore(unique, scores, idx, k)
    );
    const best = Math.max(...smooth);
    idx.forEach((i, k) => {
      if (smooth[k] > 0 && smooth[k] >= RELATIVE_FLOOR * best) {
        candidates.push({ unit: unique[i], order: i, score: smooth[k], own: scores[i] });
      }
    });
  }

  const picked: typeof candidates = [];
  let remaining = budgetChars;
  for (const c of [...candidates].sort((a, b) => b.own - a.own || b.score - a.score)) {
    if (picked.length >= MAX_PARAGRAPHS) break;
    const cost = c.unit.text.length + SEPARATOR_COST;
    if (cost <= remaining) {
      picked.push(c);
      remaining -= cost;
    }
  }
  picked.sort((a, b) => a.order - b.order);

  const kept: KeptParagraph[] = picked.map((c) => ({
    sourceId: c.unit.sourceId,
    text: c.unit.text,
    score: c.score,
  }));
  return {
    kept,
    bestScore,
    floorTriggered: kept.length === 0,
    charsBefore,
    charsAfter: kept.reduce((n, p) => n + p.text.length, 0),
    droppedDuplicates: all.length - unique.length,
  };
}

/** The readable text of all sources (junk lines out), for the follow-up check. */
export function readableText(sources: readonly RagSource[]): string {
  return sources.flatMap((s, i) => sourceUnits(s, i)).map((u) => u.text).join("\n\n");
}
