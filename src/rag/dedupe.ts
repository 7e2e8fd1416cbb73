/**
 * Duplicate removal across all retrieved chunks: search results often quote the same sentence
 * (a Wikipedia lead copied by a forum, a press release reprinted by three sites), and a small
 * model reads a repeated fact as an important one while the budget pays for it twice.
 * Three levels, the first occurrence always wins (so earlier sources win):
 * 1. exact: lower-case, whitespace and colons removed, first 80 characters (the reference's key,
 *    A.10.6 step 3, also removed digits: release headings, timetable rows and prices that differ
 *    only in their numbers were taken for copies of each other);
 * 2. near: Jaccard similarity of the lower-cased word sets ≥ a threshold (0.70, A.10.6 step 4);
 * 3. repeated sentences (not in the reference): a sentence of six or more words that already
 *    appeared in an earlier paragraph is cut from the later one, and a paragraph left empty is
 *    dropped. Paragraph-level similarity misses a copied sentence inside a longer paragraph.
 *    Sentences are text.ts's (abbreviations, decimals, CJK full stops).
 *
 * Near-duplicates are found without comparing every pair (prefix filtering: two word sets with
 * Jaccard ≥ t share a word among the first |set| − ⌈t·|set|⌉ + 1 of each, rarest words first),
 * and each paragraph is checked against at most MAX_CANDIDATES earlier ones, so the work stays
 * linear in the input even for 100,000 lines.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/text.ts.
 */
import { sentences, words } from "./text.ts";

/** Jaccard similarity at or above which a paragraph is a near-duplicate. */
const NEAR_DUPLICATE = 0.70;

const EXACT_KEY_LENGTH = 80;
const MIN_SENTENCE_WORDS = 6;
const INNER_STOP = /[.!?。！？．｡]/;

/** The reference's exact-duplicate key of a paragraph. */
export function exactKey(paragraph: string): string {
  return paragraph.toLowerCase().replace(/[\s:]+/g, "").slice(0, EXACT_KEY_LENGTH);
}

function wordSet(text: string): Set<string> {
  return new Set(text.toLowerCase().split(/\s+/).filter((w) => w !== ""));
}

function jaccardOfSets(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  return shared / (a.size + b.size - shared);
}

/** Jaccard similarity of the lower-cased whitespace word sets; 0 when either is empty. */
export function jaccard(a: string, b: string): number {
  return jaccardOfSets(wordSet(a), wordSet(b));
}

/** Near-duplicate checks per paragraph, at most (the closest candidates come first). */
const MAX_CANDIDATES = 64;

/** Words a set with Jaccard ≥ t to another must share with it: ⌈t·n⌉ (float-safe). */
function minOverlap(size: number, threshold: number): number {
  return Math.max(1, Math.ceil(threshold * size - 1e-9));
}

/**
 * Drops exact duplicates, then near-duplicates of an already kept paragraph, keeping the first
 * occurrence of each; order is preserved.
 */
export function dedupe<T extends { text: string }>(
  paragraphs: readonly T[],
  threshold: number = NEAR_DUPLICATE,
): T[] {
  const keys = new Set<string>();
  const exact = paragraphs.filter((p) => {
    const key = exactKey(p.text);
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  });
  const sets = exact.map((p) => wordSet(p.text));
  if (threshold <= 0) return exact.slice(0, 1);
  // Rarest words first: the prefixes then hold the words that tell paragraphs apart.
  const frequency = new Map<string, number>();
  for (const set of sets) for (const w of set) frequency.set(w, (frequency.get(w) ?? 0) + 1);
  const ordered = sets.map((set) =>
    [...set].sort((a, b) => frequency.get(a)! - frequency.get(b)! || (a < b ? -1 : a > b ? 1 : 0))
  );
  const index = new Map<string, number[]>(); // prefix word → kept paragraphs
  const out: T[] = [];
  exact.forEach((p, i) => {
    const set = sets[i];
    const prefix = ordered[i].slice(0, set.size - minOverlap(set.size, threshold) + 1);
    const seen = new Set<number>();
    let duplicate = false;
    for (const w of prefix) {
      for (const k of index.get(w) ?? []) {
        if (seen.has(k) || seen.size >= MAX_CANDIDATES) continue;
        seen.add(k);
        if (jaccardOfSets(set, sets[k]) >= threshold) {
          duplicate = true;
          break;
        }
      }
      if (duplicate || seen.size >= MAX_CANDIDATES) break;
    }
    if (duplicate) return;
    out.push(p);
    for (const w of prefix) {
      const list = index.get(w);
      if (list) list.push(i);
      else index.set(w, [i]);
    }
  });
  return out;
}

function sentenceKey(sentence: string): string {
  return sentence.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
}

/**
 * Cuts from each paragraph the sentences (six words or more) that an earlier paragraph already
 * had; paragraphs with nothing left are dropped. Order is preserved.
 */
export function dropRepeatedSentences<T extends { text: string }>(paragraphs: readonly T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const p of paragraphs) {
    const kept: string[] = [];
    let cut = false;
    // Segmenting is the costly part: a text with no stop before its end is one sentence.
    const pieces = INNER_STOP.test(p.text.slice(0, -1)) ? sentences(p.text) : [p.text];
    for (const sentence of pieces) {
      const key = sentenceKey(sentence);
      const long = words(key).length >= MIN_SENTENCE_WORDS;
      if (long && seen.has(key)) {
        cut = true;
        continue;
      }
      if (long) seen.add(key);
      kept.push(sentence);
    }
    if (!cut) {
      out.push(p);
      continue;
    }
    const text = kept.join("").trim();
    if (text !== "") out.push({ ...p, text });
  }
  return out;
}
