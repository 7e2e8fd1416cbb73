/**
 * BM25 relevance of text units against weighted query terms. Terms match a unit's words exactly
 * or partly (one contains the other, or a long shared prefix: compounds and inflections such
 * as "koffiezetapparaat"/"apparaat", "reposar"/"reposo"), a partial match counting less.
 * CJK words also match as substrings of a unit's text, Korean words by their stems.
 *
 * Pure: no Deno APIs, no clock, no I/O.
 */
import { latinForm, romanizable } from "./romanize.ts";
import { isCjk } from "./text.ts";

export interface QueryTerm {
  term: string;
  weight: number;
}

const K1 = 1.2;
const B = 0.75;
const PARTIAL = 0.6;
const MIN_PARTIAL = 4;
/**
 * A shared prefix of this share of the two words' mean length is a stem (an inflection): of the
 * shorter word alone, "temps" would match "température".
 */
const STEM_SHARE = 0.7;
/**
 * Units without any query term assumed besides the real ones: a request holds a handful of
 * units, and a topic word that all of them contain would otherwise weigh next to nothing.
 */
const PRIOR_UNITS = 10;

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * 1 for the same word, PARTIAL for a compound part or inflection, else 0. A word in Cyrillic,
 * Greek, Georgian or Armenian meets one in Latin letters in their romanized forms (a Serbian
 * question typed in Latin, its bank's page in Cyrillic: "kamata" = "камата").
 */
export function termMatch(term: string, word: string): number {
  if (term === word) return 1;
  const t = term.charCodeAt(0);
  const w = word.charCodeAt(0);
  if (romanizable(t) !== romanizable(w)) {
    if ((romanizable(t) ? w : t) >= 0x250) return 0;
    return sameWord(latinForm(term), latinForm(word));
  }
  return sameWord(term, word);
}

function sameWord(term: string, word: string): number {
  if (term === word) return 1;
  const short = Math.min(term.length, word.length);
  if (short < MIN_PARTIAL) return 0;
  if (term.includes(word) || word.includes(term)) return PARTIAL;
  if (compoundHead(term, word)) return PARTIAL;
  return commonPrefix(term, word) >=
      Math.max(MIN_PARTIAL, STEM_SHARE * (term.length + word.length) / 2)
    ? PARTIAL
    : 0;
}

/** Letters an inflection adds at most to the last part of a compound (fristen = frist + en). */
const MAX_HEAD_ENDING = 2;
/** Letters the compound's last part has at least. */
const MIN_HEAD = 5;

/** The word ends with the term less an ending: "ansøgningsfrist" for "fristen". */
function compoundHead(term: string, word: string): boolean {
  for (let k = 1; k <= MAX_HEAD_ENDING; k++) {
    const stem = term.slice(0, -k);
    if (stem.length >= MIN_HEAD && word.length > stem.length && word.endsWith(stem)) return true;
  }
  return false;
}

const HANGUL_WORD = /^\p{Script=Hangul}+$/u;

/**
 * Terms matched inside the text rather than word by word: Chinese and Japanese (no spaces) and
 * Korean (particles and endings glued to the word: 시간은 = 시간 + 은).
 */
export function inText(term: string): boolean {
  return isCjk(term) || HANGUL_WORD.test(term);
}

/** The stem of a Korean word: its first half (at least two syllables): 저장소에도 → 저장소. */
export function hangulStem(word: string): string {
  const syllables = [...word];
  return syllables.slice(0, Math.max(2, Math.ceil(syllables.length / 2))).join("");
}

function occurrences(text: string, part: string): number {
  return text.split(part).length - 1;
}

/**
 * How often an `inText` term occurs in a lower-cased text; a Korean word also by its stem,
 * each such occurrence counting PARTIAL.
 */
export function textFrequency(term: string, text: string): number {
  const whole = occurrences(text, term);
  if (!HANGUL_WORD.test(term)) return whole;
  const stem = hangulStem(term);
  return stem === term ? whole : whole + PARTIAL * (occurrences(text, stem) - whole);
}

/** How often each term occurs in a unit (partial matches counted fractionally). */
function frequencies(
  terms: readonly QueryTerm[],
  cjk: readonly boolean[],
  unitWords: readonly string[],
  text: string,
) {
  return terms.map(({ term }, t) => {
    if (cjk[t]) return textFrequency(term, text);
    let f = 0;
    for (const w of unitWords) f += termMatch(term, w);
    return f;
  });
}

/**
 * BM25 score of every unit; `units` are the lower-cased words and text of each unit. Only the
 * units marked `counted` (all when not given) make the collection statistics (document
 * frequencies, mean length): headings and menu lines are scored without diluting them.
 */
export function bm25(
  terms: readonly QueryTerm[],
  units: readonly { words: readonly string[]; text: string }[],
  counted: readonly boolean[] = units.map(() => true),
): number[] {
  if (units.length === 0 || terms.length === 0) return units.map(() => 0);
  const cjk = terms.map((t) => inText(t.term));
  const freqs = units.map((u) => frequencies(terms, cjk, u.words, u.text.toLowerCase()));
  const ref = units.flatMap((_, i) => counted[i] ? [i] : []);
  const avg = ref.reduce((n, i) => n + units[i].words.length, 0) / ref.length || 1;
  const idf = terms.map((_, t) => {
    const df = ref.filter((i) => freqs[i][t] > 0).length;
    return Math.log(1 + (ref.length + PRIOR_UNITS - df + 0.5) / (df + 0.5));
  });
  return units.map((u, i) =>
    terms.reduce((score, { weight }, t) => {
      const f = freqs[i][t];
      if (f === 0) return score;
      const norm = f * (K1 + 1) / (f + K1 * (1 - B + B * u.words.length / avg));
      return score + weight * idf[t] * norm;
    }, 0)
  );
}
