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
import { detectLanguage, isStopword, type Language, words } from "./text.ts";

export interface Entity {
  /** Lower-case, accent-free letter and digit pieces, in order. */
  pieces: string[];
  /** A word (letters only): matched by its inflections too. */
  word: boolean;
  /**
   * An identifier (digits or an underscore: a model, a version, a year, a setting): a page that
   * lacks it is about something else, however well it names the rest.
   */
  id: boolean;
  /**
   * Shaped like a designation (an identifier, inner or all capitals: PgBouncer, XMP), not only
   * capitalised: a page must name it, or leave its place free, to name its group.
   */
  strict: boolean;
  /** All capitals, letters only (LA, EU, NYC): the initials of a name a page may spell out. */
  acronym: boolean;
}

/**
 * Names written next to each other ("Fiat Panda", "Roborock Q7 Max", "WF-1000XM5"): a page names
 * the group when it names its identifiers and at least one of its words ("Panda" alone names
 * "Fiat Panda"; "Roborock" alone does not name "Roborock Q7").
 */
export type EntityGroup = Entity[];

/** A group with an identifier: every page must name it (absolute), not only the best one. */
export function hasIdentifier(group: EntityGroup): boolean {
  return group.some((e) => e.id);
}

/** Languages that capitalise every noun: a capital there says nothing about a name. */
const NOUN_CAPITALS = new Set(["de", "lb"]);
const TOKEN = /[\p{L}\p{M}\p{Nd}_]+(?:[.,'’][\p{L}\p{M}\p{Nd}_]+)*/gu;
/** A sentence starts after these (a full stop only after a word of four letters or more). */
const SENTENCE_START = /(?:^|[!?¡¿。！？…]|\p{L}{4}\.)[\s"'“„«(\[]*$/u;
/** Scripts without letter case: their words carry no name shape. */
const CASELESS = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const PIECE = /\p{Nd}+|[\p{L}\p{M}]+/gu;
/** An inflection: a shared start of MIN_STEM letters or more, endings of MAX_ENDING at most. */
const MIN_STEM = 4;
const MAX_ENDING = 3;
/** Letters of a name that must appear glued into an address. */
const MIN_GLUED = 4;
const GLUED_SHARE = 0.6;
const MAX_ENTITIES = 8;
const ACRONYM = /^\p{Lu}{2,5}$/u;
/**
 * What may follow a version: the end, punctuation, or a word of four letters or more (Hungarian
 * "3.2 újdonságai"); a unit is shorter (1.5 bar, 2.5 kg) or a sign (1.5 °C, 20.5 %).
 */
const VERSION_AFTER = /^(?:\s*$|\s*[?!.,;:)]|\s+\p{L}{4})/u;

/** Lower case, accents off (NFD without marks). */
export function fold(text: string): string {
  return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

/** Letter and digit pieces of a text, folded, without caseless-script pieces. */
export function pieces(text: string): string[] {
  const out: string[] = [];
  // ASCII needs no decomposition (most tokens of most pages).
  const folded = /^[ -~]*$/.test(text) ? text.toLowerCase() : fold(text);
  for (const m of folded.matchAll(PIECE)) if (!CASELESS.test(m[0])) out.push(m[0]);
  return out;
}

/** An identifier: digits (with letters, or three or more) or an underscore. */
function isIdentifier(token: string): boolean {
  const letters = token.replace(/[^\p{L}]/gu, "");
  const digits = token.replace(/\D/g, "").length;
  if (digits > 0) return letters.length > 0 || digits >= 3;
  return token.includes("_");
}

/** Shaped like a designation: an identifier, inner capitals, or all capitals. */
function isDesignation(token: string): boolean {
  if (isIdentifier(token) || /\p{Ll}.*\p{Lu}/u.test(token)) return true;
  const letters = token.replace(/[^\p{L}]/gu, "");
  return letters.length >= 2 && letters === letters.toUpperCase() &&
    letters !== letters.toLowerCase();
}

/** A suffix after an apostrophe (Turkish A55'in, English Linux's) is no part of a name. */
const SUFFIX = /(?<=[\p{L}\p{N}]{2})['’]\p{Ll}{1,4}$/u;

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
    const token = m[0].replace(SUFFIX, "");
    // A short dotted number right after a word, with no unit after it, is a version
    // ("quillpad 3.2?"); with a unit it is a measure ("38.2 degrees").
    const version = /^\d+\.\d+$/.test(token) && /\p{L}\s+$/u.test(question.slice(0, m.index)) &&
      VERSION_AFTER.test(question.slice(m.index + m[0].length));
    const strict = isDesignation(token) || version;
    const initial = SENTENCE_START.test(question.slice(Math.max(0, m.index - 8), m.index));
    const capital = !initial && !nounCapitals && /^\p{Lu}/u.test(token) &&
      !isStopword(token.toLowerCase(), lang) && !CASELESS.test(token);
    if (!strict && !capital) continue;
    const p = pieces(token);
    const key = p.join(" ");
    // A short number glued to a word of a caseless script is a quantity (4人分: for four people),
    // not a model: the number alone is what is left of it.
    const quantity = p.length === 1 && /^\d{1,2}$/.test(p[0]);
    if (p.length === 0 || seen.has(key) || quantity) continue;
    seen.add(key);
    count++;
    const word = p.length === 1 && !/\d/.test(p[0]);
    const acronym = word && ACRONYM.test(token);
    const entity = { pieces: p, word, id: isIdentifier(token) || version, strict, acronym };
    // A number alone (a year, a port) is a name of its own: "Copa del Rey 2025" is no "Rey 2025".
    const number = p.every((x) => /^\d/.test(x));
    const adjacent = lastEnd >= 0 && !number && /^[\s-]+$/.test(question.slice(lastEnd, m.index));
    if (adjacent) groups[groups.length - 1].push(entity);
    else groups.push([entity]);
    lastEnd = number ? -1 : m.index + m[0].length;
  }
  return groups;
}

/** A page's text and address, indexed for `namesGroup()`. */
export interface PageIndex {
  /** The text's and the address's pieces joined by "\u0001", with one at each end. */
  joined: string;
  words: ReadonlySet<string>;
  address: readonly string[];
  /** The text's tokens in order, with what separates each from the next. */
  tokens: readonly { raw: string; pieces: string[]; gapAfter: string }[];
  /** The start of the text, whose language tells its stopwords (read only when needed). */
  sample: string;
}

/** Tokens of a page read (bounded: a page is read up to a cap anyway). */
const MAX_TOKENS = 20_000;
const LANGUAGE_SAMPLE = 4000;

export function pageIndex(text: string, address: string): PageIndex {
  const a = pieces(address);
  const tokens: { raw: string; pieces: string[]; gapAfter: string }[] = [];
  const all: string[] = [];
  let end = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (tokens.length >= MAX_TOKENS) break;
    if (tokens.length > 0) tokens[tokens.length - 1].gapAfter = text.slice(end, m.index);
    const p = pieces(m[0]);
    tokens.push({ raw: m[0], pieces: p, gapAfter: "" });
    for (const x of p) all.push(x);
    end = m.index + m[0].length;
  }
  return {
    joined: `\u0001${all.join("\u0001")}\u0001${a.join("\u0001")}\u0001`,
    words: new Set([...all, ...a].filter((w) => !/\d/.test(w))),
    address: a,
    tokens,
    sample: text.slice(0, LANGUAGE_SAMPLE),
  };
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/**
 * Two words are forms of one: they share a start of three letters or more and differ only in
 * endings of up to three letters, each shorter than that start (Nowych / Nowe, Brzegach / Brzegi;
 * not Roborock / robot).
 */
export function inflects(a: string, b: string): boolean {
  if (a === b) return true;
  const shared = commonPrefix(a, b);
  const tail = Math.max(a.length, b.length) - shared;
  return shared >= MIN_STEM && tail <= MAX_ENDING && tail < shared;
}

/** The page names the entity, anywhere in its text or address. */
export function names(page: PageIndex, entity: Entity): boolean {
  const { pieces: p } = entity;
  // A version's trailing zeros are optional: 3.0 is 3.0.0.
  let end = p.length;
  if (/^\d/.test(p[0])) { while (end > 2 && p[end - 1] === "0") end--; }
  for (let n = end; n <= p.length; n++) {
    if (page.joined.includes(`\u0001${p.slice(0, n).join("\u0001")}\u0001`)) return true;
  }
  if (!entity.word) return false;
  const [w] = p;
  if (entity.acronym && spelledOut(page, w)) return true;
  for (const v of page.words) if (inflects(w, v)) return true;
  const stem = w.slice(0, Math.max(MIN_GLUED, Math.ceil(GLUED_SHARE * w.length)));
  return stem.length >= MIN_GLUED &&
    page.address.some((a) => a.length > w.length && a.includes(stem));
}

/** Capitalised words in a row whose initials are the acronym: "Los Angeles" for LA. */
function spelledOut(page: PageIndex, acronym: string): boolean {
  const { tokens } = page;
  const n = acronym.length;
  for (let i = 0; i + n <= tokens.length; i++) {
    let k = 0;
    while (
      k < n && /^\p{Lu}\p{Ll}/u.test(tokens[i + k].raw) &&
      fold(tokens[i + k].raw[0]) === acronym[k] &&
      (k === n - 1 || /^\s+$/.test(tokens[i + k].gapAfter))
    ) k++;
    if (k === n) return true;
  }
  return false;
}

/** One token is the entity (the same pieces, or a form of its word). */
function tokenIs(token: { pieces: string[] }, entity: Entity): boolean {
  if (entity.word) return token.pieces.length === 1 && inflects(entity.pieces[0], token.pieces[0]);
  return token.pieces.join(" ") === entity.pieces.join(" ");
}

/** A token shaped like a name in page text: an identifier, or a capitalised word. */
function nameShaped(raw: string, lang: Language): boolean {
  return isIdentifier(raw) || (/^\p{Lu}/u.test(raw) && !isStopword(raw.toLowerCase(), lang));
}

/**
 * The page names the group: all of it, anywhere; when only words of it are missing, any part of
 * it ("Panda" names "Fiat Panda"); when a designation is missing, one of the group's designations
 * where the text does not put another name in the missing one's place: "the NPU" names "RK3588
 * NPU", while "WH-1000XM5" does not name "WF-1000XM5", nor "Roborock Q5" "Roborock Q7", nor
 * "MacBook Pro" "MacBook Air 13".
 */
export function namesGroup(page: PageIndex, group: EntityGroup): boolean {
  const named = group.map((e) => names(page, e));
  if (!named.some((n) => n)) return false;
  if (group.every((e, g) => named[g] || !e.strict)) return true;
  const { tokens, sample } = page;
  const lang = detectLanguage(words(sample), sample);
  const taken = (t: (typeof tokens)[number] | undefined, gap: string | undefined) =>
    t !== undefined && /^[\s-]+$/.test(gap ?? "") && nameShaped(t.raw, lang) &&
    !group.some((m) => tokenIs(t, m));
  return group.some((e, g) => {
    if (!named[g] || !e.strict) return false;
    const missingBefore = named.slice(0, g).some((n) => !n);
    const missingAfter = named.slice(g + 1).some((n) => !n);
    return tokens.some((t, i) =>
      tokenIs(t, e) &&
      !(missingBefore && taken(tokens[i - 1], tokens[i - 1]?.gapAfter)) &&
      !(missingAfter && taken(tokens[i + 1], t.gapAfter))
    );
  });
}

/**
 * The page's address is about another one of the question's identifiers: its path carries a
 * token of the same shape (A35 for A55, progi-2023 for 2024: letters kept, digits of the same
 * count) and not the identifier itself. Dates in the path (/2024/01/16/, 2024-04-14) are when
 * the page was written, not what it is about.
 */
export function addressRival(address: string, groups: readonly EntityGroup[]): boolean {
  const ids = groups.flatMap((g) => g.filter((e) => e.id).map((e) => e.pieces.join("")));
  if (ids.length === 0) return false;
  const path = fold(address.replace(/^[a-z]+:\/\/[^/]*/i, ""))
    .replace(/(?<!\d)\d{4}[-/]\d\d(?:[-/]\d\d)?(?!\d)/g, " ")
    .replace(/\/\d+(?=\/|$)/g, " ");
  const tokens = path.split(/[^\p{L}\p{Nd}]+/u).filter((t) => /\d/.test(t));
  const shape = (t: string) => t.replace(/\d/g, "9");
  return ids.some((id) =>
    /\d/.test(id) && !tokens.includes(id) &&
    tokens.some((t) => !ids.includes(t) && shape(t) === shape(id))
  );
}
