/**
 * Duplicate removal across all retrieved chunks: search results often quote the same sentence
 * (a Wikipedia lead copied by a forum, a press release reprinted by three sites), and a small
 * model reads a repeated fact as an important one while the budget pays for it twice.
 * Three levels, the first occurrence always wins (so earlier sources win):
 * 1. exact: the reference key (A.10.6 step 3), lower-case, whitespace/digits/colons removed,
 *    first 80 characters;
 * 2. near: Jaccard similarity of the lower-cased word sets ≥ a threshold (0.70, A.10.6 step 4);
 * 3. repeated sentences (not in the reference): a sentence of six or more words that already
 *    appeared in an earlier paragraph is cut from the later one, and a paragraph left empty is
 *    dropped. Paragraph-level similarity misses a copied sentence inside a longer paragraph.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports nothing.
 */

/** Jaccard similarity at or above which a paragraph is a near-duplicate. */
export const NEAR_DUPLICATE = 0.70;

const EXACT_KEY_LENGTH = 80;
const MIN_SENTENCE_WORDS = 6;

/** The reference's exact-duplicate key of a paragraph. */
export function exactKey(paragraph: string): string {
  return paragraph.toLowerCase().replace(/[\s\d:]+/g, "").slice(0, EXACT_KEY_LENGTH);
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
  const keptSets: Set<string>[] = [];
  return exact.filter((p) => {
    const words = wordSet(p.text);
    if (keptSets.some((kept) => jaccardOfSets(words, kept) >= threshold)) return false;
    keptSets.push(words);
    return true;
  });
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
    // Sentences with the whitespace that follows each: [s0, ws0, s1, ws1, …].
    const parts = p.text.split(/(?<=[.!?])(\s+)/);
    const kept: string[] = [];
    let cut = false;
    for (let i = 0; i < parts.length; i += 2) {
      const sentence = parts[i];
      const key = sentenceKey(sentence);
      const long = key.split(" ").length >= MIN_SENTENCE_WORDS;
      if (long && seen.has(key)) {
        cut = true;
        continue;
      }
      if (long) seen.add(key);
      kept.push(sentence, parts[i + 1] ?? "");
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
