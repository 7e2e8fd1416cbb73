/**
 * Whether a page puts other names where the question's stand. A near miss writes the question's
 * own frame around another name: "Copa de la Reina" for "Copa del Rey", "the RDP port" for "the
 * SSH port", "Raspberry Pi 4" for "Raspberry Pi 5", "Hallenbad Süd Nürnberg" for "Hallenbad Süd
 * in Erlangen". Read as a sequence of words, a page sentence that matches question terms in the
 * question's order, with a name (or a number) of its own where the question has a name (or a
 * number of as many digits), substitutes it. select.ts counts a substitute only when the page's
 * address carries it (the page is about it) and the page never names the question's word.
 * Plain words have no rivals here: their stand-ins are as often synonyms or translations.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/*.
 */
import { inText, type QueryTerm, termMatch } from "./relevance.ts";
import { fold } from "./entities.ts";
import { latinForm, romanizable } from "./romanize.ts";
import { foldWord, isAnyStopword, isCjk, words } from "./text.ts";

/** Shortest shared start that makes two words forms of one. */
const MIN_SHARED_STEM = 4;
/** Shortest word found at the start of an address word (bus in "busguiden"). */
const MIN_ADDRESS_PREFIX = 3;

/** Two words start alike: four letters or more, and half the shorter one (zamknięcia, zamknięty). */
export function sameStem(a: string, b: string): boolean {
  const x = fold(a);
  const y = fold(b);
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i >= MIN_SHARED_STEM && 2 * i >= Math.min(x.length, y.length);
}

/** Letters two words share in a row from which they are parts of one compound. */
const SHARED_PART = 4;

/**
 * The two words share a run of SHARED_PART letters anywhere: parts of related compounds
 * (Mietwohnung / Vermieter), not rivals.
 */
export function sharePart(a: string, b: string): boolean {
  const x = fold(a);
  const y = fold(b);
  for (let i = 0; i + SHARED_PART <= x.length; i++) {
    if (/\p{L}{4}/u.test(x.slice(i, i + SHARED_PART)) && y.includes(x.slice(i, i + SHARED_PART))) {
      return true;
    }
  }
  return false;
}

const NUMBER = /^\p{Nd}+$/u;
/** Page words between two anchors that can stand for question words (more is another text). */
const MAX_FILLER = 3;

/** Index of the question term a word matches, or -1. */
export function termIndex(terms: readonly QueryTerm[], word: string): number {
  for (const [t, { term }] of terms.entries()) {
    if (inText(term)) {
      if (word.length >= 2 && (word.includes(term) || (isCjk(word) && term.includes(word)))) {
        return t;
      }
    } else if (termMatch(term, word) > 0) return t;
  }
  return -1;
}

const TOKEN = /[\p{L}\p{M}\p{Nd}_]+/gu;
/** A sentence starts after these, so its first capital says nothing. */
const SENTENCE_END = /[.!?。！？:]\s*$/;

/**
 * The lower-cased words of a text shaped like names: with digits and letters, in capitals
 * throughout, or capitalised where no sentence starts (RDP, S23, Reina, Niemczech, Nürnberg).
 */
export function nameWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(TOKEN)) {
    const w = m[0];
    const digits = /\p{Nd}/u.test(w);
    const letters = /\p{L}/u.test(w);
    const caps = w.length >= 2 && w === w.toUpperCase() && w !== w.toLowerCase();
    const capital = /^\p{Lu}/u.test(w) && m.index > 0 &&
      !SENTENCE_END.test(text.slice(Math.max(0, m.index - 4), m.index));
    if ((digits && letters) || caps || capital) out.add(foldWord(w.toLowerCase()));
  }
  return out;
}

const ADDRESS = /^https?:\/\/(?:www\.)?([^/?#]+)([^?#]*)/i;

/** A web address's site (lower-cased, without "www.") and path; null for another name. */
export function siteAddress(name: string | null): { host: string; path: string } | null {
  const m = ADDRESS.exec(name ?? "");
  return m ? { host: m[1].toLowerCase(), path: m[2] } : null;
}

/**
 * The words of a page address, folded (accents off) with German transliterations read back
 * (nuernberg = nürnberg, fuerth = fürth); an underscore parts words (a wiki's Phare_de_Kerbrennec).
 */
export function addressWords(address: string): string[] {
  return words(fold(address).replace(/(?<=[a-z])(?:ae|oe|ue)/g, (m) => m[0]).replaceAll("_", " "));
}

/**
 * The address names the word (folded): as a word, a part or an inflection of one, or the start of
 * one (a domain glues words: "busguiden").
 */
export function inAddress(word: string, address: readonly string[]): boolean {
  const w = fold(word);
  const named = (w: string, a: string) =>
    termMatch(w, a) > 0 ||
    (w.length >= MIN_ADDRESS_PREFIX && a.length > w.length && a.startsWith(w));
  if (address.some((a) => named(w, a))) return true;
  // A word of another alphabet, written in Latin letters in the address (Речной = rechnoy).
  if (!romanizable(word.charCodeAt(0))) return false;
  const latin = latinForm(word);
  return address.some((a) => named(latin, latinForm(a)));
}

/** A question term a sentence puts other words in place of, and those words. */
export interface Substitution {
  term: number;
  by: string[];
}

/**
 * The question terms (indexes into `terms`, the question's own in question order) that a
 * sentence puts other words in place of. Between two words matching terms i < j (j > i + 1), a
 * run of up to MAX_FILLER content words (names or words with letters among them) stands for
 * terms i+1 … j−1. Next to one matching word
 * only (the sentence ends, or goes on with an earlier term), such a run stands for the
 * neighbouring term when that one is a name in the question (`questionNames`: "Museo Reina
 * Sofía" for "Museo del Prado") or a name stands in the run (`names`: the sentence's name-shaped
 * words). A term the sentence names itself is never substituted, nor by a form of itself.
 */
export function substituted(
  terms: readonly QueryTerm[],
  sentence: readonly string[],
  names: ReadonlySet<string>,
  questionNames: ReadonlySet<string> = new Set(),
): Substitution[] {
  const index = sentence.map((w) => termIndex(terms, w));
  const inSentence = new Set(index);
  const out: Substitution[] = [];
  let last = -1;
  /** The words since the last matching one: content words, and names even if stopwords. */
  let run: { word: string; content: boolean }[] = [];
  const swap = (q: number, by: readonly { word: string }[]) => {
    if (q < 0 || q >= terms.length || inSentence.has(q)) return;
    const number = NUMBER.test(terms[q].term);
    // Only a name or a number has rivals; a plain word's stand-in is as often a synonym or a
    // translation (ramo for branch) as another thing.
    if (!number && !questionNames.has(terms[q].term)) return;
    // A number stands only for a number of as many digits (Pi 4 for Pi 5, 2023 for 2024; not a
    // price), a name only for a name (RDP for SSH), a form of the word itself for none.
    const others = by.map((b) => b.word).filter((w) =>
      !sameStem(w, terms[q].term) && (number || !sharePart(w, terms[q].term)) &&
      (number ? NUMBER.test(w) && w.length === terms[q].term.length : names.has(w))
    );
    if (others.length > 0) out.push({ term: q, by: others });
  };
  /** At most MAX_FILLER content words (and the names among them) from one end of the run. */
  const near = (fromEnd: boolean) => {
    const words = fromEnd ? [...run].reverse() : run;
    const out: typeof run = [];
    let content = 0;
    for (const w of words) {
      if (w.content && ++content > MAX_FILLER) break;
      out.push(w);
    }
    return fromEnd ? out.reverse() : out;
  };
  /** The run before a word matching term t (-1: the sentence's end) is closed. */
  const close = (t: number) => {
    if (run.length === 0) return;
    if (last >= 0 && t > last + 1) {
      if (run.filter((w) => w.content).length <= MAX_FILLER) {
        for (let q = last + 1; q < t; q++) swap(q, run);
      }
      return;
    }
    if (last >= 0) swap(last + 1, near(false));
    if (t >= 0 && last < 0) swap(t - 1, near(true));
  };
  sentence.forEach((w, k) => {
    const t = index[k];
    if (t < 0) {
      const content = !isAnyStopword(w) && (/\p{L}/u.test(w) || NUMBER.test(w));
      if (content || names.has(w)) run.push({ word: w, content });
      return;
    }
    close(t);
    last = t;
    run = [];
  });
  close(-1);
  return out;
}
