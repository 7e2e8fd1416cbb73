/**
 * Selection: retrieved sources → the units a small model should read, under their Open WebUI
 * ids. The units of every source (units.ts: junk lines out, structure kept together, short lines
 * kept back as soft units) are deduplicated across sources and overlapping chunks (earlier wins)
 * and scored with BM25 against the question (and, weaker, the recent conversation).
 *
 * Which sources count (chunks of one page, sharing an id, count together; judged before dedupe):
 * a page whose best unit covers too little of the question (of its words some page uses: a
 * typo or a colloquial form no page has says nothing) is dropped, and so is a page that
 * names a single question word when another names three or more (a page that shares only a place
 * name with the question is about something else), a page that lacks the question's identifiers
 * (a model, a version, a year) or names fewer of its other names than half of what the best page
 * names (entities.ts: a near miss), a page that puts a name or a number of its own where the
 * question's stands and never names the question's (coverage.ts: "Copa de la Reina" for "Copa
 * del Rey", "Pi 4" for "Pi 5"; counted when its address carries the rival, and for a name when
 * another page names the question's or puts another rival there), and a page whose only matching
 * lines are headings, a page whose address carries another identifier of the question's shape
 * and not the question's (galaxy-a35 for A55, progi-2023 for 2024), and a page that never names
 * the search's subject (a question word two result addresses carry) while another page does.
 * Words match without their accents.
 *
 * Which units count, within a kept source: a seed reaches a share of the best score a seed could
 * have (a larger share when chrome surrounds it at the head or tail of the chunk: a header or
 * footer sentence that happens to name the topic). A question, or a line that only echoes the
 * user's, is never a seed (it asks, it tells nothing new) but heads the answer after it, and an
 * FAQ question that matches well admits the answer below it. A seed takes in its neighbours with
 * no chrome between: a list or code block it introduces or that goes on about it (the steps under
 * a matching sentence, not a reference list), and up to two prose lines after it; a line at the
 * border to the chrome (where cookie, affiliate and newsletter notices sit) only when it carries
 * a number or goes on about the text above it. A soft line that names the question heads a
 * section: the list lines under it, bullets lost or not, up to the next heading or the chrome
 * (sections(); it counts lines, so a spec block under the product's title is one). A field
 * block only counts on its own relevance (a larger share: profile boxes are fields); a first
 * field that touches chrome and names nothing asked for (an availability, a byline) leaves it,
 * and so does a field that only echoes the question. Whatever words they share with the
 * question, a command and a spec sheet in the page's text count, and a kept line brings the
 * release heading it sits under.
 *
 * The best units fill the budget and go back in page order (at most MAX_PARAGRAPHS). Nothing left
 * means the search found nothing useful.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/*.
 */
import { dedupe, dropRepeatedSentences } from "./dedupe.ts";
import type { RagSource } from "./detect.ts";
import { bm25, inText, type QueryTerm, termMatch, textFrequency } from "./relevance.ts";
import {
  detectLanguage,
  elide,
  foldWord,
  isAnyStopword,
  isCjk,
  isStopword,
  type Language,
  words,
} from "./text.ts";
import {
  addressRival,
  type EntityGroup,
  hasIdentifier,
  namesGroup,
  pageIndex,
  questionEntities,
} from "./entities.ts";
import { A_YEAR, LABEL_END, PRICE, TABLE_ROW } from "./lines.ts";
import { addressWords, inAddress, nameWords, substituted } from "./coverage.ts";
import { offSubjectSiblings } from "./siblings.ts";
import { allUnits, MAX_READ_CHARS, readSources, type Unit, unitsOf } from "./units.ts";

export interface KeptParagraph {
  sourceId: string;
  text: string;
  /** The relevance that admitted it (its BM25, or half its seed's for a neighbour). */
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
export const MAX_PARAGRAPHS = 32;
/** A source whose best unit covers less of the question's weight than this is dropped. */
const SOURCE_COVERAGE = 0.14;
/** Result addresses that must carry a question word for it to be the search's subject… */
const SUBJECT_ADDRESSES = 2;
/** … of this many letters at least. */
const MIN_SUBJECT = 4;
/** A page naming one question term is dropped when another names at least this many. */
const SINGLE_TERM_AGAINST = 3;
/** Within a kept source, a seed needs this share of the source's best score. */
const RELATIVE_FLOOR = 0.1;
/** … and this share for a field block (profile boxes and meta rows are fields too). */
const FIELD_FLOOR = 0.2;
/** … and this share when page chrome surrounds it. */
const CHROME_FLOOR = 0.5;
/** … and this share for a list line no heading claimed (a soft line: chrome as often as not). */
const LIST_FLOOR = 0.3;
const QUANTITY_LINE = /^\p{N}/u;
const CONVERSATION_WEIGHT = 0.3;
/** Weight of a lone CJK character against a word. */
const SINGLE_CHARACTER = 0.5;
const CONVERSATION_TURNS = 4;
const SEPARATOR_COST = 2;
/** A heading is a name, not a list: no commas, dashes or separators (a signature, an ad). */
const HEADING_PUNCT = /[,;，、—–|·•»›]/;
/** Lines a heading's section takes in at most. */
const MAX_SECTION = 20;
/** Lines after a seed it can take in (an answer often runs over a few sentences). */
const FOLLOWERS = 2;
/** Characters of the question and of each turn read for query terms, and terms at most. */
const MAX_QUERY_CHARS = 2000;
const MAX_QUERY_TERMS = 32;
/** Characters and distinct words of the text above a line at the border compared with it. */
const PAGE_CHARS = 4000;
const PAGE_WORDS = 256;
/** Distinct words of a unit compared when telling whether the next one goes on about it. */
const MAX_COMPARED_WORDS = 64;
/** Handles, hashtags and links: addresses, not words of the text. */
const NOT_WORDS = /[@#][\p{L}\p{N}_]+|https?:\/\/\S*|www\.\S*/gu;
const QUESTION_END = /[?？]$/;
const NUMBER = /^\p{Nd}+$/u;

/**
 * A capital letter or a digit standing alone after a word, mid-sentence: a name's part (vitamin
 * D, Plan B, Raspberry Pi 5), not a stopword (English "I" is the one such capital that is not).
 */
const SINGLE_NAME = /(?<=[\p{L}\p{N}]\s+)[\p{Lu}\p{Nd}](?=$|[\s?!.,;:)])/gu;

/** The single-character names of a text (lower-cased). */
export function singleNames(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(SINGLE_NAME)) if (m[0] !== "I") out.add(m[0].toLowerCase());
  return out;
}

/** Question words weighted 1, recent conversation words weighted less; stopwords left out. */
export function queryTerms(question: string, conversation: readonly string[]): QueryTerm[] {
  const terms = new Map<string, number>();
  const add = (text: string, weight: number) => {
    const tokens = words(text.slice(0, MAX_QUERY_CHARS));
    const lang: Language = detectLanguage(tokens, text.slice(0, MAX_QUERY_CHARS));
    const set = (word: string, weight: number) => {
      const w = foldWord(word);
      if (terms.size < MAX_QUERY_TERMS) terms.set(w, Math.max(terms.get(w) ?? 0, weight));
    };
    // Single CJK characters in a row are a name the segmenter did not know (珠穆朗玛峰): one
    // term. A character alone is a word, but often a suffix (年, 者): it weighs less.
    let run = "";
    const flush = () => {
      if ([...run].length > 1) set(run, weight);
      else if (run !== "") set(run, weight * SINGLE_CHARACTER);
      run = "";
    };
    const single = singleNames(text.slice(0, MAX_QUERY_CHARS));
    for (const w of tokens) {
      if (single.has(w)) {
        flush();
        set(w, weight);
        continue;
      }
      if (isStopword(w, lang)) {
        flush();
        continue;
      }
      const e = elide(w);
      if ((e.length < 2 && !isCjk(e)) || isStopword(e, lang)) {
        flush();
        continue;
      }
      if (isCjk(w) && [...w].length === 1) {
        run += w;
        continue;
      }
      flush();
      set(e, weight);
    }
    flush();
  };
  add(question, 1);
  for (const turn of conversation.slice(-CONVERSATION_TURNS)) add(turn, CONVERSATION_WEIGHT);
  return [...terms].map(([term, weight]) => ({ term, weight }));
}

/** The words of a text that a query can match: handles, hashtags and links are none. */
export function matchWords(text: string): string[] {
  const out = words(text.replace(NOT_WORDS, " "));
  // Most pages are ASCII without apostrophes: nothing to fold or elide.
  if (/^[\t\n\r -&(-~]*$/.test(text)) return out;
  return out.map((w) => foldWord(elide(w)));
}

/** How well each term matches a text: 1 for a word of it, a fraction for a part, else 0. */
function termMatches(terms: readonly QueryTerm[], text: string, textWords: readonly string[]) {
  const lower = text.toLowerCase();
  return terms.map(({ term }) => {
    if (inText(term)) return Math.min(1, textFrequency(term, lower));
    let best = 0;
    for (const w of textWords) if ((best = Math.max(best, termMatch(term, w))) === 1) break;
    return best;
  });
}

/**
 * Up to MAX_COMPARED_WORDS distinct content words of a text: no digits, no stopword, three
 * letters or more (two for Chinese and Japanese words).
 */
function contentWords(text: string, cjk: boolean, max = MAX_COMPARED_WORDS): string[] {
  const out = new Set<string>();
  for (const w of words(text)) {
    if (w.length >= (cjk ? 2 : 3) && !/\d/.test(w) && !isAnyStopword(w)) out.add(w);
    if (out.size >= max) break;
  }
  return [...out];
}

/**
 * The second text goes on about the first: they share a content word (exactly or partly).
 * `prev` may be the rest of a page: then up to `max` of its words are compared.
 */
export function continues(next: string, prev: string, max = MAX_COMPARED_WORDS): boolean {
  const cjk = isCjk(next);
  const b = contentWords(next, cjk);
  if (cjk) return b.some((w) => prev.includes(w));
  const a = contentWords(prev, false, max);
  return b.some((w) => a.some((v) => termMatch(w, v) > 0));
}

/** Rows a table has at least to be no header or footer (a chunk may end with one). */
const TABLE_ROWS = 3;

/** A `| a | b |` table of TABLE_ROWS rows or more. */
function table(unit: Unit): boolean {
  const rows = unit.text.split("\n");
  return rows.length >= TABLE_ROWS && rows.every((r) => TABLE_ROW.test(r));
}

/** The unit at position `k` of `lines` is content or a list line, with no junk right before it. */
function listLineAt(units: readonly Unit[], lines: readonly number[], k: number): boolean {
  const u = units[lines[k]];
  return u !== undefined && !u.hardBefore && (!u.soft || u.listLike);
}

/** A list or code block, or a line that is one list item. */
function structured(unit: Unit): boolean {
  return unit.text.includes("\n") || /^(?:[-*•·–]|\d{1,2}[.)])\s/.test(unit.text);
}

/**
 * A field block without its first field when page chrome (a junk line, or a short line that names
 * nothing asked: a button, not a heading) comes right before it and that field matches no question term and names no price (an availability,
 * a byline or a rating between the buy button or breadcrumb and the specs). A single field is
 * left alone: it stands or falls on its own relevance. Only the top edge: specs often end with
 * rows nobody asked about.
 */
export function trimChromeField(unit: Unit, terms: readonly QueryTerm[]): Unit {
  if (!unit.fields || !unit.junkBefore) return unit;
  const newline = unit.text.indexOf("\n");
  if (newline < 0) return unit;
  const own = terms.filter((t) => t.weight === 1);
  // A heading that names the question is no chrome ("Opening hours" over the hours).
  const heading = unit.softBefore;
  if (heading !== null && termMatches(own, heading, matchWords(heading)).some((m) => m > 0)) {
    return unit;
  }
  const first = unit.text.slice(0, newline);
  // A price is the product's own data (what "how much" asks), not the shop's chrome.
  if (PRICE.test(first) || termMatches(own, first, matchWords(first)).some((m) => m > 0)) {
    return unit;
  }
  return { ...unit, text: unit.text.slice(newline + 1) };
}

/**
 * The text only repeats the question: every word of it that is not a stopword is a word of the
 * question or matches a question term ("Re: Pi 5 under-voltage", a title that echoes the query).
 * It tells the model nothing new, however well it matches.
 */
export function echoes(text: string, question: ReadonlySet<string>, terms: readonly QueryTerm[]) {
  let named = false;
  for (const w of matchWords(text)) {
    if (question.has(w)) named = true;
    else if (isAnyStopword(w)) continue;
    else if (terms.some((t) => t.weight === 1 && termMatch(t.term, w) > 0)) named = true;
    else return false;
  }
  return named;
}

/** A field block without the lines that only echo the question (a reply's subject line). */
function withoutEchoes(unit: Unit, question: ReadonlySet<string>, terms: readonly QueryTerm[]) {
  if (!unit.fields || !unit.text.includes("\n")) return unit;
  const lines = unit.text.split("\n").filter((l) => {
    // The label names what was asked and the value answers it ("Lift: yes"), unless the value
    // also only repeats the question (a reply's subject: "Re: Pi 5 under-voltage").
    const value = l.slice(l.search(LABEL_END) + 1);
    return !echoes(l, question, terms) || !echoes(value, question, terms);
  });
  if (lines.length === 0) return null;
  return { ...unit, text: lines.join("\n") };
}

interface Candidate {
  unit: Unit;
  order: number;
  /** Own BM25: ranks it. */
  own: number;
  /** What admitted it: its own score, or half its seed's. */
  score: number;
}

/**
 * The admitted units of one kept source: seeds by their share of the source's best score, then
 * the neighbours each seed takes in, then the questions and echoes that head an admitted answer.
 * `idx`: the source's unit indexes in page order.
 */
function admit(
  units: readonly Unit[],
  scores: readonly number[],
  echo: readonly boolean[],
  lines: readonly number[],
): Candidate[] {
  const idx = lines.filter((i) => !units[i].soft);
  // A question, or a line that only echoes the user's, is never a seed; it may head an answer.
  const heading = idx.map((i) =>
    !structured(units[i]) && (QUESTION_END.test(units[i].text) || echo[i])
  );
  // The floor is a share of the best unit that can be a seed: a title that echoes the question
  // would otherwise set it out of reach.
  let best = 0;
  idx.forEach((i, k) => heading[k] || (best = Math.max(best, scores[i])));
  const admitted: (number | null)[] = idx.map((i, k) => {
    const u = units[i];
    // Chrome around it at the head or the tail of the chunk: the page's header or footer (a
    // table is neither).
    const last = k === idx.length - 1;
    const chrome = u.junkBefore && ((k === 0 && u.junkAfter) || last) && !table(u);
    const floor = (chrome ? CHROME_FLOOR : u.fields ? FIELD_FLOOR : RELATIVE_FLOOR) * best;
    return !heading[k] && scores[i] > 0 && scores[i] >= floor ? scores[i] : null;
  });
  /** Unit j sits next to unit `from` (after it when `after`) and belongs with it. */
  const belongs = (j: number, from: number, after: boolean): boolean => {
    if (j < 0 || j >= idx.length || heading[j]) return false;
    const u = units[idx[j]];
    if (u.fields || units[idx[after ? j : from]].junkBefore) return false;
    const near = units[idx[from]].text;
    if (structured(u)) return (after && /[:：]$/.test(near)) || continues(u.text, near);
    if (/[?!？！]/.test(u.text)) return false;
    // Before a seed: the first line under a heading, when the seed goes on about it ("In
    // standard mode we measured 64 dB" above "In quiet mode it is about 56 dB").
    if (!after) return u.softBefore !== null && !u.hardBefore && continues(near, u.text);
    const border = u.junkAfter || j === idx.length - 1;
    return !border || /\p{N}/u.test(u.text) || continues(u.text, above(j), PAGE_WORDS);
  };
  /**
   * The text above a unit, without fields and lines between chrome (bylines, profile data):
   * what a line at the border to the chrome must go on about to be content.
   */
  const above = (j: number) => {
    const texts: string[] = [];
    const top = Math.max(0, j - MAX_COMPARED_WORDS);
    for (let k = j - 1, size = 0; k >= top && size < PAGE_CHARS; k--) {
      const u = units[idx[k]];
      if (u.fields || (u.junkBefore && u.junkAfter)) continue;
      texts.unshift(u.text);
      size += u.text.length;
    }
    return texts.join("\n");
  };
  // A question heading that matches as well as a seed (an FAQ entry, not a related question
  // after chrome) admits the answer below it.
  idx.forEach((i, k) => {
    const next = units[idx[k + 1]];
    if (heading[k] && !units[i].junkBefore && next && !next.junkBefore && !heading[k + 1]) {
      if (scores[i] >= CHROME_FLOOR * best) admitted[k + 1] ??= scores[i];
    }
  });
  // A command in the page's text (not between chrome) is a how-to's answer, whatever words it
  // shares with the question: "ssh-copy-id …" answers "log in without a password". A spec sheet
  // or an infobox holds the page's facts under labels that need not be the question's words
  // ("Length" for "how long").
  idx.forEach((i, k) => {
    const u = units[i];
    const chrome = u.junkBefore && u.junkAfter;
    if ((u.code && !chrome) || (specSheet(u) && !u.hardBefore)) {
      admitted[k] ??= RELATIVE_FLOOR * best;
    }
  });
  const seeds = admitted.flatMap((s, k) => s === null ? [] : [k]);
  for (const k of seeds) {
    const half = scores[idx[k]] / 2;
    if (belongs(k - 1, k, false)) admitted[k - 1] ??= half;
    for (let j = k + 1; j <= k + FOLLOWERS && belongs(j, j - 1, true); j++) admitted[j] ??= half;
  }
  for (let k = idx.length - 2; k >= 0; k--) {
    if (heading[k] && admitted[k + 1] !== null && !units[idx[k + 1]].junkBefore) {
      admitted[k] = admitted[k + 1];
    }
  }
  const out = new Map<number, Candidate>();
  idx.forEach((i, k) => {
    const score = admitted[k];
    if (score !== null) out.set(i, { unit: units[i], order: i, own: scores[i], score });
  });
  for (const [i, score] of sections(units, scores, echo, lines, best)) {
    if (!out.has(i)) out.set(i, { unit: units[i], order: i, own: scores[i], score });
  }
  // A list line that starts with a quantity ("350 ml of water", "6 – runs on Saturdays") and
  // matches the question as a seed would, among other list lines or content: an answer no
  // heading claimed. A year makes it a date or a title ("6 January 2023, 06:15").
  const listed = (k: number) => listLineAt(units, lines, k);
  lines.forEach((i, k) => {
    const u = units[i];
    if (out.has(i) || !u.soft || !listed(k) || !QUANTITY_LINE.test(u.text)) return;
    if (A_YEAR.test(u.text) || (!listed(k - 1) && !listed(k + 1))) return;
    if (scores[i] > 0 && scores[i] >= LIST_FLOOR * best) {
      out.set(i, { unit: u, order: i, own: scores[i], score: scores[i] });
    }
  });
  // The version heading a kept line sits under says which release it is about.
  const position = new Map(lines.map((i, k) => [i, k]));
  for (const c of [...out.values()]) {
    const head = versionHeading(units, lines, position.get(c.order)!);
    if (head !== null && !out.has(head)) {
      out.set(head, { unit: units[head], order: head, own: c.own, score: c.score / 2 });
    }
  }
  return [...out.values()];
}

/** A release number anywhere in a heading ("## 2024-12-03, Version 22.12.0"). */
const RELEASE = /(?<![\d.])v?\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.]*\d)/;

/** Lines above a kept line its version heading may be. */
const HEADING_REACH = 12;

/**
 * The nearest soft line above position `k` of `lines` that names a release ("v3.8.2（2024-05-14）",
 * "## 2024-12-03, Version 22.12.0"), within reach, up to the line right across the first junk;
 * or null.
 */
function versionHeading(
  units: readonly Unit[],
  lines: readonly number[],
  k: number,
): number | null {
  for (let j = k; j > 0 && j > k - HEADING_REACH; j--) {
    // The line right across the junk may still be the heading (a "released this" byline
    // between a release and its notes); junk further up ends the search.
    const u = units[lines[j - 1]];
    if (u.soft && RELEASE.test(u.text)) return lines[j - 1];
    if (units[lines[j]].hardBefore) return null;
  }
  return null;
}

/** Fields a spec sheet has at least (a profile box has three or four: joined, posts, likes)… */
const SPEC_FIELDS = 5;
/** … or with a measured value (812 m², 254 g), which a profile box has not. */
const MEASURED_SPEC_FIELDS = 4;

/**
 * A field block of SPEC_FIELDS distinct labels, or MEASURED_SPEC_FIELDS with a measured value
 * (a repeated label is a list of links: "See also").
 */
export function specSheet(unit: Unit): boolean {
  if (!unit.fields) return false;
  const lines = unit.text.split("\n");
  const labels = lines.map((l) => l.slice(0, l.search(LABEL_END)).trim().toLowerCase());
  if (new Set(labels).size !== labels.length) return false;
  return labels.length >= (lines.some(measured) ? MEASURED_SPEC_FIELDS : SPEC_FIELDS);
}

/** A value with a unit of measure: "812 m²", "۵٬۶۰۹ متر", "254 g" (not a date: "14 Mar 2019"). */
function measured(line: string): boolean {
  const value = line.slice(line.search(LABEL_END) + 1);
  return !A_YEAR.test(value) &&
    /\p{N}[\p{N}.,٬\s]*(?:\p{L}{1,3}|[²³°%])(?![\p{L}])/u.test(value);
}

/** A line of one word (CJK: of up to four characters). */
function oneWord(text: string): boolean {
  return isCjk(text) || /\p{Script=Hangul}/u.test(text)
    ? [...text].length <= 4
    : words(text).length <= 1;
}

/** The first word, when the text has more than one. */
function lead(text: string): string | null {
  const w = words(text);
  return w.length > 1 ? w[0] : null;
}

/**
 * The units a relevant heading claims, with the heading's score. A heading is a soft line (short,
 * no sentence end, no commas or dashes) that reaches a share of the `best` seed's score and has
 * content or a line starting with a number (an ingredient, a timetable row) right under it. It
 * takes in the lines under it up to junk, a line of one word (the next heading: "Preparation",
 * "Advertisement"), a line that starts like the heading (its sibling: "Version 4.6.2" after
 * "Version 4.7.0"), or MAX_SECTION lines. Soft lines come in as list lines (Unit.listLike), or
 * with content right after them; in CJK pages, whose chrome is all short lines, none. A section
 * needs two lines, one of them content or counted (a list of related titles under a matching one
 * is none).
 */
export function sections(
  units: readonly Unit[],
  scores: readonly number[],
  echo: readonly boolean[],
  lines: readonly number[],
  best: number,
): Map<number, number> {
  const out = new Map<number, number>();
  /** Content, or a soft line that starts with a number (a quantity, a row). */
  const counted = (u: Unit) => !u.soft || (isCjk(u.text) ? u.listLike : /^\p{N}/u.test(u.text));
  lines.forEach((h, k) => {
    const head = units[h];
    if (!head.soft || head.listLike || HEADING_PUNCT.test(head.text) || scores[h] <= 0) return;
    // A heading of question words only ("Battery", "Ingredients") needs a seed's share of the
    // best; one that also names other things (a sibling version, a related title) more.
    if (scores[h] < (echo[h] ? RELATIVE_FLOOR : CHROME_FLOOR) * best) return;
    // The first line under it is content or counted (a related title reads like a sentence too).
    const next = units[lines[k + 1]];
    if (!next || next.hardBefore || !counted(next)) return;
    const first = lead(head.text);
    const taken: number[] = [];
    for (let j = k + 1; j < lines.length && taken.length < MAX_SECTION; j++) {
      const u = units[lines[j]];
      if (u.hardBefore) break;
      if (u.soft) {
        const sibling = first !== null && lead(u.text) === first;
        if (oneWord(u.text) || sibling || (isCjk(u.text) && !u.listLike)) break;
        if (!u.listLike && !listLineAt(units, lines, j + 1)) break;
      }
      taken.push(lines[j]);
    }
    // Lines, not units: a spec block of three fields is one unit.
    const takenLines = taken.reduce((n, i) => n + units[i].text.split("\n").length, 0);
    if (takenLines < 2 || !taken.some((i) => counted(units[i]))) return;
    for (const i of [h, ...taken]) if (!out.has(i)) out.set(i, scores[h]);
  });
  return out;
}

/**
 * The ids of the pages (chunks sharing an id count together) worth reading, judged before
 * duplicates go (a page whose answer another page repeats is still about the question): a page
 * counts when its best unit covers enough of the question, when it names two question terms or
 * more if another page names three, and when its text or address (chrome included: the title,
 * the breadcrumb, the URL name the product) names more than half of the question's names.
 */
export function relevantPages(
  read: readonly RagSource[],
  units: readonly Unit[],
  terms: readonly QueryTerm[],
  entities: readonly EntityGroup[],
  wordsOf: (text: string) => string[] = matchWords,
  /** The question's name-shaped words (coverage.ts nameWords()). */
  questionNames: ReadonlySet<string> = new Set(),
): Set<string> {
  // Coverage weighs the conversation's words too: a follow-up ("and how tall is the second
  // one?") names little of its own.
  const own = terms.filter((t) => t.weight === 1);
  const present = new Set<number>();
  const texts = new Map<string, { text: string[]; address: string[] }>();
  for (const s of read) {
    const page = texts.get(s.id) ?? { text: [], address: [] };
    texts.set(s.id, page);
    page.text.push(s.text);
    if (s.name) page.address.push(s.name);
  }
  // The question's names and numbers: the words a near miss puts others in place of.
  const rivalled = own.flatMap((t, q) =>
    NUMBER.test(t.term) || questionNames.has(t.term) ? [q] : []
  );
  const addresses = new Map<string, string[]>();
  for (const [id, { address }] of texts) addresses.set(id, addressWords(address.join(" ")));
  const pages = new Map<
    string,
    {
      /** The matched weight of the page's best unit. */
      best: number;
      /** `best` over the weight of the question words some page uses. */
      cover: number;
      named: Set<number>;
      content: boolean;
      swapped: Map<number, Set<string>>;
    }
  >();
  for (const u of units) {
    const page = pages.get(u.sourceId) ??
      { best: 0, cover: 0, named: new Set<number>(), content: false, swapped: new Map() };
    pages.set(u.sourceId, page);
    const w = wordsOf(u.text);
    const m = termMatches(terms, u.text, w);
    // Only a unit that matches a question word and lacks one of its names or numbers can put
    // another in its place. A question on the page asks in its own words: it tells nothing
    // about what the page is. A substitute counts when the page is about it: its address
    // names it.
    const lacks = rivalled.some((q) => m[q] === 0);
    if (lacks && m.some((v, t) => v > 0 && t < own.length) && !QUESTION_END.test(u.text)) {
      const address = addresses.get(u.sourceId) ?? [];
      for (const { term, by } of substituted(own, w, nameWords(u.text), questionNames)) {
        const about = by.filter((b) => inAddress(b, address));
        if (about.length === 0) continue;
        const set = page.swapped.get(term) ?? new Set<string>();
        page.swapped.set(term, set);
        for (const b of about) set.add(b);
      }
    }
    m.forEach((v, t) => v > 0 && terms[t].weight === 1 && page.named.add(t));
    page.content ||= !u.soft && m.some((v) => v > 0);
    page.best = Math.max(page.best, m.reduce((a, v, t) => a + v * terms[t].weight, 0));
    m.forEach((v, t) => v > 0 && present.add(t));
  }
  // Coverage counts the question words some page has: a word no page uses (a colloquial form,
  // a typo, a transliteration) tells the pages nothing about each other.
  const presentWeight = [...present].reduce((n, t) => n + terms[t].weight, 0);
  for (const page of pages.values()) {
    if (presentWeight > 0) page.cover = page.best / presentWeight;
  }
  let most = 0;
  for (const page of pages.values()) most = Math.max(most, page.named.size);
  // A question word the page substitutes and never names (in its text or its address), while
  // another page names it: the page is about the other thing.
  // The page names a question word anywhere: text (chrome too) or address.
  const pageWords = new Map<string, Set<string>>();
  const wordsOfPage = (id: string) => {
    let set = pageWords.get(id);
    if (!set) pageWords.set(id, set = new Set(matchWords((texts.get(id)?.text ?? []).join("\n"))));
    return set;
  };
  const names = (id: string, q: number) =>
    pages.get(id)?.named.has(q) || inAddress(own[q].term, addresses.get(id) ?? []) ||
    [...wordsOfPage(id)].some((w) => termMatch(own[q].term, w) > 0);
  const others = (id: string) => [...pages.keys()].filter((other) => other !== id);
  // Another page that also puts a name of its own in the question's place, another one (Reina
  // Sofía and Thyssen for Prado): the question's name is no context the pages leave out. (Two
  // pages that put the same name there may be about what the question describes: Silvertown
  // for "the new Thames tunnel".)
  const rivals = (id: string, q: number, mine: ReadonlySet<string>) => {
    const theirs = pages.get(id)?.swapped.get(q);
    return !!theirs && !names(id, q) && ![...theirs].some((w) => mine.has(w));
  };
  const swaps = new Map<string, boolean>();
  for (const [id, page] of pages) {
    swaps.set(
      id,
      // A number put in another's place needs no other page to name the question's (Pi 4 for
      // Pi 5); a name does, or another page's rival (no page may repeat a name the question
      // gives as context: Silvertown for Thames).
      [...page.swapped].some(([q, mine]) =>
        !names(id, q) &&
        (NUMBER.test(own[q].term) ||
          others(id).some((o) => names(o, q) || rivals(o, q, mine)))
      ),
    );
  }
  // Names: a page must name more than half of the question's identifier groups (a model, a
  // version, a year: absolute), and more than half as many of its other names (Linux, Belém,
  // XMP) as the page that names most (relative: a name can be context the answer never repeats,
  // like "Python" on a page that only says "py -m venv").
  const idGroups = entities.filter(hasIdentifier);
  const wordGroups = entities.filter((g) => !hasIdentifier(g));
  const named = new Map<string, { ids: number; words: number }>();
  for (const [id, { text, address }] of entities.length > 0 ? texts : []) {
    const index = pageIndex(text.join("\n"), address.join(" "));
    named.set(id, {
      ids: idGroups.filter((g) => namesGroup(index, g)).length,
      words: wordGroups.filter((g) => namesGroup(index, g)).length,
    });
  }
  let mostWords = 0;
  for (const n of named.values()) mostWords = Math.max(mostWords, n.words);
  // The search's subject: a question word that two result addresses or more carry (tivoli,
  // forester, whatever its case). A page that never names it while another does is about
  // something else (Legoland's season pass for a Tivoli question).
  const subjects = own.flatMap((t, q) =>
    !NUMBER.test(t.term) && [...t.term].length >= MIN_SUBJECT &&
      [...addresses.values()].filter((a) => inAddress(t.term, a)).length >= SUBJECT_ADDRESSES
      ? [q]
      : []
  );
  const subjectsNamed = new Map(
    [...pages.keys()].map((id) => [id, subjects.filter((q) => names(id, q)).length]),
  );
  const mostSubjects = Math.max(0, ...subjectsNamed.values());
  // A page of one site whose address's own words name nothing of the question, next to a
  // sibling whose own words do (accommodation next to msc-data-science).
  const siblings = offSubjectSiblings(own.map((t) => t.term), read);
  const out = new Set<string>();
  for (const [id, page] of pages) {
    if (page.cover < SOURCE_COVERAGE) continue;
    if (most >= SINGLE_TERM_AGAINST && page.named.size < 2) continue;
    if (swaps.get(id)) continue;
    // Its address says it is about another model or year (galaxy-a35 for A55, progi-2023).
    if (addressRival((texts.get(id)?.address ?? []).join(" "), entities)) continue;
    if (mostSubjects > 0 && (subjectsNamed.get(id) ?? 0) * 2 <= mostSubjects) continue;
    if (siblings.has(id)) continue;
    const n = named.get(id) ?? { ids: 0, words: 0 };
    // Headings alone do not make a page ("Pool season" over another town's hours): some of its
    // text names the question, or it names the question's names.
    if (!page.content && n.ids + n.words === 0) continue;
    if (n.ids * 2 <= idGroups.length && idGroups.length > 0) continue;
    if (mostWords > 0 && n.words * 2 <= mostWords) continue;
    out.add(id);
  }
  return out;
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
  // Read at least twice what the budget holds, so a large context still has a choice.
  const read = readSources(sources, Math.max(MAX_READ_CHARS, 2 * budgetChars));
  const all = unitsOf(read);
  const terms = queryTerms(question, conversation);
  const asked = new Set(matchWords(question.slice(0, MAX_QUERY_CHARS)));
  const distinct = dropRepeatedSentences(dedupe(all));
  const unique = distinct
    .flatMap((u) => withoutEchoes(trimChromeField(u, terms), asked, terms) ?? []);
  const echo = unique.map((u) => !u.fields && echoes(u.text, asked, terms));
  // Units before and after dedupe share most texts: their words are read once.
  const cache = new Map<string, string[]>();
  const wordsOf = (text: string) => {
    let w = cache.get(text);
    if (!w) cache.set(text, w = matchWords(text));
    return w;
  };
  const unitWords = unique.map((u) => wordsOf(u.text));
  const scores = bm25(
    terms,
    unique.map((u, i) => ({ words: unitWords[i], text: u.text })),
    unique.map((u) => !u.soft),
  );
  let bestScore = 0;
  for (const s of scores) bestScore = Math.max(bestScore, s);

  const bySource: number[][] = sources.map(() => []);
  unique.forEach((u, i) => bySource[u.source].push(i));
  const relevant = relevantPages(
    read,
    all,
    terms,
    questionEntities(question.slice(0, MAX_QUERY_CHARS)),
    wordsOf,
    new Set([
      ...nameWords(question.slice(0, MAX_QUERY_CHARS)),
      ...singleNames(question.slice(0, MAX_QUERY_CHARS)),
    ]),
  );

  const candidates: Candidate[] = [];
  for (const idx of bySource) {
    if (idx.length === 0) continue;
    if (aboutSources) {
      for (const i of idx) {
        if (!unique[i].soft) candidates.push({ unit: unique[i], order: i, own: 1, score: 1 });
      }
    } else if (relevant.has(unique[idx[0]].sourceId)) {
      candidates.push(...admit(unique, scores, echo, idx));
    }
  }

  const picked: Candidate[] = [];
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
    droppedDuplicates: all.length - distinct.length,
  };
}

/** The readable text of all sources (junk lines out), for the follow-up check. */
export function readableText(sources: readonly RagSource[]): string {
  return allUnits(sources).map((u) => u.text).join("\n\n");
}
