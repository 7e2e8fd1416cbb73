/**
 * The names in a question and whether a page names them. A near miss (the other product, the
 * other town, last year's event) shares the question's generic words and lacks its names: the
 * model number, the version, the year, the proper name. Names are found by shape, in any
 * language: a token with digits (Q7, 1000XM5, 2025, 4.7.0), an underscore (default_pool_size),
 * capitals inside or throughout (PgBouncer, XMP), or a capital where a sentence does not start
 * (Linux, Belém; not in German, which capitalises every noun). Script-less tokens (Chinese,
 * Japanese, Korean) carry no such shape.
 *
 * A page names a name when its text or its address does: as the same sequence of letter and
 * digit pieces (WM 9414 = WM9414 = wm-9414; 3.0 = 3.0.0), a word by its inflection (Nowych /
 * Nowe, Brzegach / Brzegi), or glued into the address ("nowebrzegi"). Accents are ignored
 * (Belém = belem in a URL).
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/text.ts.
 */
import { detectLanguage, isStopword, words } from "./text.ts";

export interface Entity {
  /** Lower-case, accent-free letter and digit pieces, in order. */
  pieces: string[];
  /** A word (letters only): matched by its inflections too. */
  word: boolean;
  /**
   * Shaped like an identifier (digits, underscore, inner or all capitals), not only capitalised:
   * a page must name it to name its group.
   */
  id: boolean;
}

/**
 * Names written next to each other ("Fiat Panda", "Roborock Q7 Max", "WF-1000XM5"): a page names
 * the group when it names its identifiers and at least one of its words ("Panda" alone names
 * "Fiat Panda"; "Roborock" alone does not name "Roborock Q7").
 */
export type EntityGroup = Entity[];

/** Languages that capitalise every noun: a capital there says nothing about a name. */
const NOUN_CAPITALS = new Set(["de", "lb"]);
const TOKEN = /[\p{L}\p{M}\p{Nd}_]+(?:[.,'’][\p{L}\p{M}\p{Nd}_]+)*/gu;
/** A sentence starts after these (a full stop only after a word of four letters or more). */
const SENTENCE_START = /(?:^|[!?¡¿。！？…]|\p{L}{4}\.)[\s"'“„«(\[]*$/u;
/** Scripts without letter case: their words carry no name shape. */
const CASELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const PIECE = /\p{Nd}+|[\p{L}\p{M}]+/gu;
/** Letters of a word shared from its start that make an inflection (of the shorter word). */
const INFLECTION_SHARE = 0.7;
const MIN_STEM = 3;
/** Letters of a name that must appear glued into an address. */
const MIN_GLUED = 4;
const GLUED_SHARE = 0.6;
const MAX_ENTITIES = 8;

/** Lower case, accents off (NFD without marks). */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** Letter and digit pieces of a text, folded, without caseless-script pieces. */
export function pieces(text: string): string[] {
  const out: string[] = [];
  for (const m of fold(text).matchAll(PIECE)) if (!CASELESS.test(m[0])) out.push(m[0]);
  return out;
}

/** Shaped like an identifier: digits, an underscore, inner capitals, or all capitals. */
function isIdentifier(token: string): boolean {
  const letters = token.replace(/[^\p{L}]/gu, "");
  const digits = token.replace(/\D/g, "").length;
  if (digits > 0) return letters.length > 0 || digits >= 3;
  if (token.includes("_") || /\p{Ll}.*\p{Lu}/u.test(token)) return true;
  return letters.length >= 2 && letters === letters.toUpperCase() &&
    letters !== letters.toLowerCase();
}

/**
 * The names of a question, in groups of adjacent ones (at most MAX_ENTITIES names). A capital
 * makes a name only mid-sentence, in a language that does not capitalise nouns, and not on a
 * stopword (English "I", Italian "D'").
 */
export function questionEntities(question: string): EntityGroup[] {
  const lang = detectLanguage(words(question), question);
  const nounCapitals = NOUN_CAPITALS.has(lang);
  const seen = new Set<string>();
  const groups: EntityGroup[] = [];
  let count = 0;
  let lastEnd = -1;
  for (const m of question.matchAll(TOKEN)) {
    if (count >= MAX_ENTITIES) break;
    const token = m[0];
    const id = isIdentifier(token);
    const initial = SENTENCE_START.test(question.slice(Math.max(0, m.index - 8), m.index));
    const capital = !initial && !nounCapitals && /^\p{Lu}/u.test(token) &&
      !isStopword(token.toLowerCase(), lang) && !CASELESS.test(token);
    if (!id && !capital) continue;
    const p = pieces(token);
    const key = p.join(" ");
    if (p.length === 0 || seen.has(key)) continue;
    seen.add(key);
    count++;
    const entity = { pieces: p, word: p.length === 1 && !/\d/.test(p[0]), id };
    const adjacent = lastEnd >= 0 && /^[\s-]+$/.test(question.slice(lastEnd, m.index));
    if (adjacent) groups[groups.length - 1].push(entity);
    else groups.push([entity]);
    lastEnd = m.index + token.length;
  }
  return groups;
}

/** A page's text and address, indexed for `names()`. */
export interface PageIndex {
  /** The text's pieces joined by "\u0001", with one at each end. */
  joined: string;
  words: ReadonlySet<string>;
  address: readonly string[];
}

export function pageIndex(text: string, address: string): PageIndex {
  const p = pieces(text);
  const a = pieces(address);
  return {
    joined: `\u0001${p.join("\u0001")}\u0001${a.join("\u0001")}\u0001`,
    words: new Set([...p, ...a].filter((w) => !/\d/.test(w))),
    address: a,
  };
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Two words are forms of one (a shared start of most of the shorter one). */
export function inflects(a: string, b: string): boolean {
  const shorter = Math.min(a.length, b.length);
  const shared = commonPrefix(a, b);
  return shared >= MIN_STEM && shared >= INFLECTION_SHARE * shorter;
}

/** The page names the entity. */
export function names(page: PageIndex, entity: Entity): boolean {
  const { pieces: p } = entity;
  // A version's trailing zeros are optional: 3.0 and 3 are 3.0.0.
  let end = p.length;
  if (/^\d/.test(p[0])) { while (end > 2 && p[end - 1] === "0") end--; }
  for (let n = end; n <= p.length; n++) {
    if (page.joined.includes(`\u0001${p.slice(0, n).join("\u0001")}\u0001`)) return true;
  }
  if (!entity.word) return false;
  const [w] = p;
  for (const v of page.words) if (inflects(w, v)) return true;
  const stem = w.slice(0, Math.max(MIN_GLUED, Math.ceil(GLUED_SHARE * w.length)));
  return stem.length >= MIN_GLUED &&
    page.address.some((a) => a.length > w.length && a.includes(stem));
}

/** The page names the group: its identifiers and at least one of its words. */
export function namesGroup(page: PageIndex, group: EntityGroup): boolean {
  let any = false;
  for (const e of group) {
    const named = names(page, e);
    if (!named && e.id) return false;
    any ||= named;
  }
  return any;
}
