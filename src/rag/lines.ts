/**
 * Line classification by features, not by phrases: a page line is structure (a `label: value`
 * field or tab row, a list item or table row, a code or shell line), prose, junk (menus,
 * breadcrumbs, bylines, counters, share rows, poll widgets, ads), or soft: junk by shape alone
 * (short, no sentence end, title case, mostly digits), which its neighbours may still claim as a
 * heading or a list line. Features: length in words (CJK: characters), sentence shape, separator
 * runs, share of digit tokens, share of capitalised tokens, stopword density, price and copyright
 * marks, dates, links, a bracketed count at the end, a question followed by button labels. Every
 * pattern is anchored or bounded, so a long line costs linear time.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/text.ts.
 */
import { isCjk, type Language, stopwordDensity, words } from "./text.ts";

export type LineKind = "field" | "item" | "code" | "prose" | "junk";
/**
 * A line's class before its neighbours are known: "soft" is junk by shape alone (short, no
 * sentence end, title case, mostly digits): a menu entry, but also a heading or a list line
 * that lost its bullet, which the lines around it can claim (units.ts, select.ts).
 */
export type LineClass = LineKind | "soft";

/** Full stops, question and exclamation marks of the scripts that have their own. */
const FULL_STOP = /[.!?。！？։।॥؟۔።။]$/u;
/** A full stop alone (a statement, not a question). */
const PERIOD = /[.。։।॥۔።။]$/u;
/**
 * A sentence end after a label: not a CJK one (a Chinese field's value ends in 。 as often as a
 * notice's does).
 */
const FIELD_STOP = /[.!?։।॥؟۔።။]$/u;
const SENTENCE_END = /[.!?。！？։।॥؟۔።။:：;)」』"”»]$/u;
const ELLIPSIS_END = /(?:\.\.\.|…)$/;
/** A separator run: a bar, a chevron or a dot between words; slashes only two or more (breadcrumb). */
const SEPARATOR = /\s[|»›>·•]\s|^[|»›>·•]\s|\s\/\s.*\s\/\s/u;
// The colon of a clock time (11:19) does not make a label.
// Armenian writes its label colon as ՝ ("Հասցե՝ Երևան").
const FIELD = /^([^:：՝]{1,48})(?<!\d)[:：՝]\s*(\S.{0,70})$/u;
/** Where a field's label ends. */
export const LABEL_END = /[:：՝]/;
const ITEM = /^(?:[-*•·–]|\d{1,2}[.)])\s+\S/u;
/** A row of a `| a | b |` table. */
export const TABLE_ROW = /^\|.*\|$/;
const CODE_SYMBOL = /[=\\/()~_]|(?:^|\s)--?[\w-]+|\.\w/;
/** Stopword share below which a sentence with a price is an ad. */
const AD_DENSITY = 0.15;
/** A price: a currency mark next to a number. */
export const PRICE = /(?:\p{Sc}|R\$)\s?\d|\d\s?(?:\p{Sc}|eur|euro)(?:\s|$|\b)/iu;
const SHORT_WORDS = 8;
const COUNTER_END = /[(（]\d[\d.,]*[)）]$/;
/** A label, a tab and a value; a third cell makes a table row. */
const TAB_ROW = /^[^\t]{1,60}\t\s*[^\t\s][^\t]*(\t\s*\S)?/;
const SHORT_CJK = 20;

const SENTENCE_PUNCT = /[.!?]/;
const CAMEL_JOINT = /[a-z][A-Z]/g;
const URL = /https?:\/\/\S*/g;

/**
 * Navigation patterns (reference A.10.3): (a) two lower-upper joints of run-together menu words
 * and no sentence punctuation, (b) four or more words, over 65 % capitalised, no punctuation,
 * (c) two or more links, (d) one link in a short line with no sentence punctuation outside it
 * (the reference looked at the whole line, so the URL's own dot kept nearly every such line).
 */
export function navigationPattern(line: string): "a" | "b" | "c" | "d" | null {
  const punct = SENTENCE_PUNCT.test(line);
  if (!punct && (line.match(CAMEL_JOINT) ?? []).length >= 2) return "a";
  const words = line.split(/\s+/).filter((w) => w !== "");
  if (!punct && words.length >= 4) {
    const upper = words.filter((w) => /^\p{Lu}/u.test(w)).length;
    if (upper / words.length > 0.65) return "b";
  }
  const urls = line.match(URL) ?? [];
  if (urls.length >= 2) return "c";
  if (
    urls.length === 1 && line.length < 80 && !SENTENCE_PUNCT.test(line.replace(URL, ""))
  ) return "d";
  return null;
}

/**
 * A shell command or code line: ASCII (another script only in its arguments), no sentence end,
 * code shape; it starts lower-case or with a path, or with an upper-case keyword and an
 * assignment or escape (Dockerfile `ENV A=b`, SQL `SET x = 1`).
 */
function isCode(line: string): boolean {
  // A dot between spaces separates a byline's parts ("lucia_ge · 3 feb 2024"), in no language
  // of code.
  if (line.length > 200 || /[.!?]$/.test(line) || /\s[·•]\s/.test(line)) return false;
  const tokens = line.split(/\s+/);
  // Other scripts only in an argument (a placeholder, a path): a command still starts in ASCII.
  const ascii = !/[^\x20-\x7e]/.test(line);
  // (A line of that script ending in a colon introduces something: "kolya писал(а):".)
  if (
    !ascii && (/[^\x20-\x7e]/.test(tokens[0]) || !CODE_SYMBOL.test(line) || /[:：]$/.test(line))
  ) {
    return false;
  }
  if (tokens.length >= 2 && /^[A-Z]{2,10}$/.test(tokens[0]) && /[=\\$]/.test(line)) return true;
  if (!/^(?:[a-z][a-z_-]*|[.\\/$][\w\\/.-]*)(?:[(.=[]|$)/.test(tokens[0])) return false;
  // A capitalised word is prose; a capitalised argument is not (Asia/Jakarta, Dockerfile.dev).
  if (tokens.some((t) => /^\p{Lu}\p{Ll}+[.,;:!?]?$/u.test(t))) return false;
  return CODE_SYMBOL.test(line) || (tokens.length >= 2 && tokens.length <= 4);
}

/** A code line that is a command or a setting, not a name. */
export function isCommand(line: string): boolean {
  // One token is a setting when it assigns (server.port=8081), else a name (alex_m, site.dev).
  return /\S\s+\S/.test(line) ? CODE_SYMBOL.test(line) : /^[\w.-]+=\S/.test(line);
}

/** A line that starts with a release number: "v3.8.2（2024-05-14）", "[3.0.0] - 2024-04-18". */
const VERSION = /^(?:\[|v|\p{L}{1,12}\s)?\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.]*\d)/u;

const YEAR = String.raw`(?:1[89]|20)\d\d`;
/** A year on its own (not part of a longer number). */
export const A_YEAR = new RegExp(String.raw`(?<!\d)${YEAR}(?!\d)`);
/** Years: two of them date a row ("2019 – 2024"). */
const YEARS = new RegExp(A_YEAR.source, "g");
/** A day's date: what a byline or an "updated" row carries (14/02/2025, 14 février 2025). */
const DAY_DATE = new RegExp(
  [
    String.raw`\d{1,2}[./]\d{1,2}[./]\d{2,4}`,
    String.raw`\d{4}-\d\d-\d\d`,
    String.raw`(?<!\d)\d{1,2}\.?\s\p{L}{3,}\.?\s${YEAR}`,
    String.raw`\p{L}{3,}\.?\s\d{1,2},?\s${YEAR}`,
  ].join("|"),
  "u",
);
/** Words of one part of a meta row at most. */
const META_WORDS = 10;

/**
 * A byline or meta row: parts split by ` · `, ` | ` or ` • ` (with a date, by dashes too), none
 * of them a sentence (ten words or fewer): "By Ana Ruiz · 3 May 2024 · 5 min read", "Published
 * 14/02/2025 – updated 03/03/2025", whatever its stopwords.
 */
function metaRow(line: string): boolean {
  // A release heading: "[3.0.0] - 2024-04-18".
  if (VERSION.test(line)) return false;
  // Dashes split a row of dates ("Published 14/02/2025 – updated 03/03/2025"); one year
  // alone is a title's ("Lamine Yamal – Euro 2024").
  const dated = DAY_DATE.test(line) || (line.match(YEARS)?.length ?? 0) >= 2;
  const parts = line.split(dated ? /\s[·|•–—-]\s/ : /\s[·|•]\s/);
  return parts.length >= 2 && parts.every((p) => p.trim().split(/\s+/).length <= META_WORDS);
}

/**
 * A feedback or poll widget: a question followed by one to three button labels and nothing
 * else ("Was this page helpful? Yes No"), in any language.
 */
function isPoll(line: string): boolean {
  const q = Math.max(line.lastIndexOf("?"), line.lastIndexOf("？"));
  if (q < 0) return false;
  const tail = line.slice(q + 1).trim().split(/\s+/).filter((w) => w !== "");
  return tail.length >= 1 && tail.length <= 3 && tail.every((w) => /^\p{L}{1,8}$/u.test(w));
}

/**
 * A user name alone on its line, as forums and comments print them: one token of three letters
 * or more and two digits or more (jwalsh88), or of mixed case with an underscore (TCorolla_Dave;
 * not a setting: max_connections, MAX_CONNECTIONS).
 */
function handle(line: string): boolean {
  if (/^\p{L}{3,}\p{N}{2,}$/u.test(line)) return true;
  return /^\p{L}[\p{L}\p{N}_]*_[\p{L}\p{N}_]*$/u.test(line) && /\p{Lu}/u.test(line) &&
    /\p{Ll}/u.test(line);
}

/**
 * A trail of links: the same arrow twice between words ("Home › Studies › Modules", "トップ ＞ 肉料理
 * ＞ 牛肉"), whatever the words around it ("You are here:"). Not "→", which instructions use
 * between menu items ("Settings → Service → Reset").
 */
function breadcrumb(line: string): boolean {
  return ["›", "‹", ">", "＞", "»"].some((arrow) => line.split(` ${arrow} `).length >= 3);
}

/**
 * A discount, in any language: a percentage with a promo code (SPRING15) or an exclamation, or a
 * promo code with an amount in a currency.
 */
function promotion(line: string): boolean {
  const code = /\b\p{Lu}{3,}\d{1,3}\b/u.test(line);
  if (/\d\s?[%％]/.test(line)) return code || /[!！]/.test(line);
  // A code and an amount off ("Enter TGDD500 for 500.000₫ off").
  return code && /\p{Sc}/u.test(line);
}

/** The kind of one trimmed, non-empty line of a page in language `lang` (soft lines are junk). */
export function classifyLine(line: string, lang: Language): LineKind {
  const c = lineClass(line, lang);
  return c === "soft" ? "junk" : c;
}

/** Words from which a line with a full stop reads as a sentence. */
const INSTRUCTION_WORDS = 8;

/** Words of a label that opens a line too long to be a field. */
const SHORT_LABEL = 2;

/** A label of SHORT_LABEL words or fewer opens the line. */
function labelled(line: string): boolean {
  const m = /^([^:：]{1,40})[:：]\s/u.exec(line);
  return m !== null && words(m[1]).length <= SHORT_LABEL;
}

/** The class of one trimmed, non-empty line of a page in language `lang`. */
export function lineClass(line: string, lang: Language): LineClass {
  if (TABLE_ROW.test(line)) return "item";
  if (handle(line)) return "junk";
  // A sentence that walks a menu path ("Open Settings > Power > Battery Care, and …") is an
  // instruction, not a breadcrumb or a menu.
  const instruction = PERIOD.test(line) && words(line).length >= INSTRUCTION_WORDS;
  if (!instruction && breadcrumb(line)) return "junk";
  // A wiki reference, after its back-link mark: "^ Journal, 2023." / "↑ «Title». Publisher."
  if (/^[\^↑]\s/.test(line)) return "junk";
  if (isCode(line)) return "code";
  // A copyright or trademark notice: its mark is the feature, in any language.
  if (/[©®℗]|\(c\)\s*\d{4}/i.test(line) && line.length < 160) return "junk";
  // A table extracted with tabs between its cells: a label and its value, or a row.
  const tab = TAB_ROW.exec(line);
  if (tab) return tab[1] ? "item" : "field";
  const nav = navigationPattern(line);
  if (nav === "a" || nav === "c" || nav === "d") return "junk";
  const tokens = words(line);
  const cjk = isCjk(line);
  const size = cjk ? [...line].length : tokens.length;
  const density = stopwordDensity(tokens, lang);
  const ended = SENTENCE_END.test(line) && !ELLIPSIS_END.test(line);
  if (!instruction && ((SEPARATOR.test(line) && density < 0.25) || metaRow(line))) return "junk";
  if (isPoll(line)) return "junk";
  if (ITEM.test(line)) return "item";
  // A label with a count in brackets: "Comments (14)", "Like (12)", "Cart (0)"; not a field's
  // value ("Population: 1 124 (2024)").
  if (COUNTER_END.test(line) && size <= (cjk ? SHORT_CJK : SHORT_WORDS) && !FIELD.test(line)) {
    return "junk";
  }
  const digits = tokens.filter((t) => /\d/.test(t)).length;
  // Mostly digits and no sentence words: a counter or a rating, unless it ends a sentence (a
  // fact dense with numbers).
  const stopped = FULL_STOP.test(line);
  if (!stopped && !cjk && tokens.length > 0 && digits / tokens.length >= 0.4 && density < 0.15) {
    return FIELD.test(line) ? "field" : PRICE.test(line) ? "junk" : "soft";
  }
  const field = FIELD.exec(line);
  // A label of up to four words; a longer one ("Droits d'inscription universitaires en sus")
  // with a short value of its own.
  if (field && !FIELD_STOP.test(line)) {
    const label = words(field[1]).length;
    const value = field[2].split(/\s+/).length;
    if (label <= 4 || (label <= 6 && value <= 3 && !LABEL_END.test(field[2]))) return "field";
  }
  if (promotion(line)) return "junk";
  // A price in a line that is no sentence, has no sentence words or exclaims: an ad. A price in
  // a sentence is a fact ("A day ticket costs € 9.")
  if (PRICE.test(line) && (!ended || density < AD_DENSITY || /[!！]$/.test(line))) return "junk";
  if (!ended && size <= (cjk ? SHORT_CJK : SHORT_WORDS)) return "soft";
  // Title case makes a heading or a menu, unless a short label opens the line: a field whose
  // value is a list of names ("Goals: Emre Koçak (23'), Diego Santos (78')").
  if (!ended && !labelled(line)) {
    const raw = line.split(/\s+/);
    const capital = raw.filter((w) => /^\p{Lu}/u.test(w)).length;
    if (raw.length >= 3 && capital / raw.length > 0.5) return "soft";
  }
  return "prose";
}
