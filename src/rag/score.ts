/**
 * Paragraph scoring: how much a paragraph looks like readable, relevant prose (reference A.10.7),
 * and the query words it is matched against (A.10.6 step 6). Integer points; the packer keeps
 * paragraphs scoring ≥ 2 and drops everything when the best scores < 3.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports nothing.
 *
 * Deliberate difference from the reference: query words have punctuation stripped from both
 * ends. The reference kept it, so "paris?" (the last word of most questions) never matched
 * "paris" and the most specific word of a question scored nothing.
 */

/** The reference's `ENGLISH_STOPWORDS` (A.2), 108 words, used for the stop-word density. */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  (
    "the a an is are was were be been being have has had do does did will would could should " +
    "may might can shall to of in for on with at by from as into through during before after " +
    "above below between out off over under again further then once here there when where why " +
    "how all each every both few more most other some such no nor not only own same so than " +
    "too very just because but and or if while about up down that this these those it its he " +
    "she they them their his her we you your my i me what which who"
  ).split(" "),
);

/** Words too common to count as query words (A.10.6 step 6, "STOP2"). */
export const QUERY_STOPWORDS: ReadonlySet<string> = new Set(
  (
    "the a an is in of at to for and or on it be as do by this that what when where how who " +
    "which my your can"
  ).split(" "),
);

/** Punctuation stripped from both ends of a query word. */
const EDGE_PUNCT = /^[?!.,;:'"()[\]{}<>“”‘’«»…*_`]+|[?!.,;:'"()[\]{}<>“”‘’«»…*_`]+$/g;

const JUNK_MARKERS: readonly string[] = [
  "copyright",
  "all rights reserved",
  "privacy policy",
  "terms of service",
  "cookie policy",
  "sign in",
  "subscribe",
  "advertisement",
  "sponsored",
  "free widget",
  "webmaster",
  "full screen clock",
  "atomic-clock",
  "advert free",
];

const DIGIT_GROUP = /\d[\d,.:%/\-]*/g;
const EMOJI = /[\u{1F300}-\u{1F9FF}\u23F0\u23F1]/gu;
const SENTENCE_PUNCT = /[.!?]/;

/** The lower-cased words of a question that are worth looking for in a paragraph. */
export function queryWords(question: string): Set<string> {
  const words = new Set<string>();
  for (const token of question.toLowerCase().split(/\s+/)) {
    const word = token.replace(EDGE_PUNCT, "");
    if (word.length > 1 && !QUERY_STOPWORDS.has(word)) words.add(word);
  }
  return words;
}

/** Pieces between `.`, `!`, `?` that have at least four words. */
export function countSentences(paragraph: string): number {
  return paragraph.split(/[.!?]/)
    .filter((piece) => piece.trim().split(/\s+/).filter((w) => w !== "").length >= 4)
    .length;
}

/** The A.10.7 score of one paragraph against a set of query words. */
export function scoreParagraph(paragraph: string, words: ReadonlySet<string>): number {
  const tokens = paragraph.split(/\s+/).filter((w) => w !== "");
  const n = tokens.length;
  const lower = paragraph.toLowerCase();
  const length = paragraph.length;
  let score = 0;

  if (n >= 5) {
    const density = tokens.filter((w) => ENGLISH_STOPWORDS.has(w.toLowerCase())).length / n;
    if (density >= 0.30) score += 3;
    else if (density >= 0.20) score += 1;
    else if (n >= 15) score -= 2;
  }

  if (length >= 200) score += 3;
  else if (length >= 100) score += 2;
  else if (length >= 50) score += 1;

  const sentences = countSentences(paragraph);
  score += Math.min(sentences, 3);

  const groups = (paragraph.match(DIGIT_GROUP) ?? []).length;
  if (sentences >= 1) score += Math.min(groups, 4);
  else if (groups > 0 && n >= 8) score += Math.min(groups, 2);

  for (const word of words) if (lower.includes(word)) score += 3;

  if (length < 20) score -= 4;
  else if (length < 40) score -= 2;

  const capitalised = tokens.filter((w) => /^\p{Lu}/u.test(w)).length;
  if (n >= 3 && capitalised / n > 0.70 && !SENTENCE_PUNCT.test(paragraph)) score -= 3;

  if ((paragraph.match(EMOJI) ?? []).length >= 2) score -= 3;

  if (JUNK_MARKERS.some((marker) => lower.includes(marker))) score -= 4;

  return score;
}
