/**
 * Packing: the retrieved sources → the few paragraphs worth a small model's context. Each source
 * is cleaned and split into paragraphs; duplicates are removed across sources (earlier sources
 * win); every paragraph is scored against the question; paragraphs under the minimum score are
 * dropped, and if even the best one is under the quality floor nothing is kept (the search found
 * junk). The best paragraphs are picked greedily within the character budget and put back in
 * their original order. Each kept paragraph keeps the id of the source it came from, so the
 * model's `[N]` citations still point at the right Open WebUI source.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/*.
 *
 * Deliberate differences from the reference (A.10.5–A.10.6):
 * - The pipeline always runs, also when the text already fits the budget (the reference then
 *   passed it through untouched): navigation junk, cookie banners and duplicates hurt a 2B model
 *   whether or not they fit, and the quality floor must apply to short junk too.
 * - Scoring and the floor run for any number of paragraphs (the reference hard-cut the text
 *   without scoring when fewer than 3 paragraphs remained).
 * - Repeated sentences are cut across sources (see dedupe.ts).
 * - When no paragraph fits the budget, the best one is cut at a sentence or line end instead of
 *   taking the top 10 regardless of score and hard-cutting the lot.
 */
import { cleanSource } from "./clean.ts";
import { dedupe, dropRepeatedSentences } from "./dedupe.ts";
import type { RagSource } from "./detect.ts";
import { queryWords, scoreParagraph } from "./score.ts";

export interface KeptParagraph {
  sourceId: string;
  text: string;
  score: number;
}

export interface PackResult {
  /** In source order, then paragraph order. */
  kept: KeptParagraph[];
  /** Highest paragraph score (0 when there were no paragraphs). */
  bestScore: number;
  /** True when the best score was under the quality floor, so nothing was kept. */
  floorTriggered: boolean;
  /** Characters of the raw source texts. */
  charsBefore: number;
  /** Characters of the kept paragraph texts. */
  charsAfter: number;
  /** Paragraphs dropped as duplicates (exact, near, or all their sentences repeated). */
  droppedDuplicates: number;
}

/** A paragraph must score at least this to be picked. */
export const MIN_SCORE = 2;
/** When the best paragraph scores below this, the sources are junk and nothing is kept. */
export const QUALITY_FLOOR = 3;
/** At most this many paragraphs are picked. */
export const MAX_PARAGRAPHS = 10;

const SHORT_PARAGRAPH = 60;
/** Each picked paragraph costs its length plus the blank line that separates it. */
const SEPARATOR_COST = 2;

function isShort(paragraph: string): boolean {
  return paragraph.length < SHORT_PARAGRAPH && !/[.!?]$/.test(paragraph);
}

/**
 * Paragraphs = blocks between blank lines, trimmed, non-empty; consecutive short ones (under
 * 60 characters and not ending a sentence) are joined with a space into one block (A.10.6 step 2).
 */
export function splitParagraphs(text: string): string[] {
  const blocks = text.split(/\n[ \t]*\n/).map((b) => b.trim()).filter((b) => b !== "");
  const out: string[] = [];
  let shorts: string[] = [];
  const flush = () => {
    if (shorts.length > 0) out.push(shorts.join(" "));
    shorts = [];
  };
  for (const block of blocks) {
    if (isShort(block)) {
      shorts.push(block);
    } else {
      flush();
      out.push(block);
    }
  }
  flush();
  return out;
}

/** `text` cut to at most `max` characters, at a sentence or line end past half when there is one. */
export function cutToBudget(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max);
  const end = Math.max(
    head.lastIndexOf("\n"),
    ...[". ", "! ", "? "].map((s) => {
      const i = head.lastIndexOf(s);
      return i < 0 ? -1 : i + 1;
    }),
  );
  return (end > Math.floor(max / 2) ? head.slice(0, end) : head).trim();
}

interface Candidate {
  sourceId: string;
  text: string;
  order: number;
  score: number;
}

/** Sources → the paragraphs to show the model (see the module comment for the steps). */
/** Each source with its text cleaned (boilerplate passes, then runs of spacing collapsed). */
export function cleanSources(sources: readonly RagSource[]): RagSource[] {
  return sources.map((source) => ({
    ...source,
    text: cleanSource(source.text).replace(/[ \t]{2,}/g, " ").replace(/\n{3,}/g, "\n\n"),
  }));
}

export function packSources(
  sources: readonly RagSource[],
  question: string,
  budgetChars: number,
): PackResult {
  const charsBefore = sources.reduce((n, s) => n + s.text.length, 0);
  return packCleanSources(cleanSources(sources), question, budgetChars, charsBefore);
}

/** `packSources` for sources `cleanSources` already cleaned (`charsBefore`: their raw size). */
export function packCleanSources(
  sources: readonly RagSource[],
  question: string,
  budgetChars: number,
  charsBefore: number,
): PackResult {
  const paragraphs = sources.flatMap((source) =>
    splitParagraphs(source.text).map((text) => ({ sourceId: source.id, text }))
  );
  const unique = dropRepeatedSentences(dedupe(paragraphs));
  const droppedDuplicates = paragraphs.length - unique.length;

  const words = queryWords(question);
  const scored: Candidate[] = unique.map((p, order) => ({
    ...p,
    order,
    score: scoreParagraph(p.text, words),
  }));
  const bestScore = scored.length === 0 ? 0 : Math.max(...scored.map((p) => p.score));
  const result = (kept: Candidate[], floorTriggered: boolean): PackResult => {
    const out = kept.map(({ sourceId, text, score }) => ({ sourceId, text, score }));
    return {
      kept: out,
      bestScore,
      floorTriggered,
      charsBefore,
      charsAfter: out.reduce((n, p) => n + p.text.length, 0),
      droppedDuplicates,
    };
  };
  if (bestScore < QUALITY_FLOOR) return result([], true);

  // Stable sort: equal scores keep their original order.
  const ranked = scored.filter((p) => p.score >= MIN_SCORE).sort((a, b) => b.score - a.score);
  const picked: Candidate[] = [];
  let remaining = budgetChars;
  for (const p of ranked) {
    if (picked.length >= MAX_PARAGRAPHS || remaining <= 0) break;
    const cost = p.text.length + SEPARATOR_COST;
    if (cost <= remaining) {
      picked.push(p);
      remaining -= cost;
    }
  }
  if (picked.length === 0) {
    const best = ranked[0];
    const text = cutToBudget(best.text, Math.max(0, budgetChars - SEPARATOR_COST));
    if (text !== "") picked.push({ ...best, text });
  }
  picked.sort((a, b) => a.order - b.order);
  return result(picked, false);
}
