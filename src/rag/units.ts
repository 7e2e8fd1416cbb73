/**
 * A retrieved page → its readable units, in page order. Each line is classified by features
 * (lines.ts) and junk lines are dropped; what is left is grouped into units: a prose line, or a
 * run of structure lines of one family (`label: value` fields, tab rows; list items, table rows
 * with bars and code lines) together with the line ending in ":" that introduces it, so structure
 * stays intact. A soft line (short, no sentence end: a heading, a list line that lost its bullet,
 * or a menu entry) is a unit of its own that only a section may keep (select.ts). A unit remembers
 * whether page chrome (a junk or soft line) touches it on either side: chrome comes in regions,
 * so what sits inside one needs more relevance to be kept.
 *
 * Bounded work: the language is read from the start of the page, a line longer than LONG_LINE
 * (a page extracted without line breaks) is read sentence by sentence, and the sources are read
 * up to a cap in all (each gets an equal share of what the shorter ones leave): past some
 * hundred kilobytes the cleaner would block the server for longer than it is worth.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/*.
 */
import type { RagSource } from "./detect.ts";
import { isCommand, type LineClass, lineClass, type LineKind } from "./lines.ts";
import { removeStaleDates } from "./stale_dates.ts";
import { pageLine, siteRepeats } from "./site_chrome.ts";
import { detectLanguage, isCjk, type Language, sentences, stopwordDensity, words } from "./text.ts";

export interface Unit {
  sourceId: string;
  /** Index of the source the unit came from (chunks may share an id). */
  source: number;
  text: string;
  /** Every line is a `label: value` field: a spec or a profile, kept on its own relevance. */
  fields: boolean;
  /** A junk or soft line comes right before the unit (blank lines do not count). */
  junkBefore: boolean;
  /** A junk or soft line comes right after the unit. */
  junkAfter: boolean;
  /**
   * One soft line (lines.ts: short, no sentence end): a heading, a list line without its bullet
   * or a menu entry. Never kept for itself; a section it heads or sits in can keep it.
   */
  soft: boolean;
  /** A junk line (not a soft one) comes right before the unit: a border no section crosses. */
  hardBefore: boolean;
  /** The soft line right before the unit, if any (a heading, or a button). */
  softBefore: string | null;
  /**
   * A soft line shaped like a list line that lost its bullet: it starts with a number (an
   * ingredient, a timetable row), enumerates (a comma), or reads like a sentence without its
   * full stop (five words or more, a fifth of them stopwords: a changelog entry). Not in CJK,
   * whose chrome is all short lines.
   */
  listLike: boolean;
  /** Some line of it is code (a command, a config line): a how-to's answer in any language. */
  code: boolean;
}

/** Words and stopword share from which a soft line reads like a sentence. */
const SENTENCE_WORDS = 5;
const SENTENCE_DENSITY = 0.2;

const CJK_LIST_LINE =
  /^[\p{L}ー・]{1,12}\s+(?=[^\s（(]*\p{L})[^\s（(]*\p{N}[^\s（(]*(?:[（(][^）)]*[）)])?$/u;

/** A soft line shaped like a list line (see Unit.listLike). */
export function listLike(line: string, lang: Language): boolean {
  // In Chinese, Japanese and Korean a list line is a name, a space and a quantity (砂糖 大さじ2,
  // 牛こま切れ肉 200g); their other short lines are chrome as often as not.
  if (isCjk(line) || /\p{Script=Hangul}/u.test(line)) return CJK_LIST_LINE.test(line);
  if (/^\p{N}/u.test(line) || /\p{L},\s/u.test(line)) return true;
  const tokens = words(line);
  return tokens.length >= SENTENCE_WORDS && stopwordDensity(tokens, lang) >= SENTENCE_DENSITY;
}

/** Words from which a line ending in ":" is a sentence that announces what follows. */
const INTRO_SENTENCE = 4;

/** A line longer than this is read sentence by sentence. */
export const LONG_LINE = 2000;
/** Characters of all sources read by default (ten times what a 4k-token model can be given). */
export const MAX_READ_CHARS = 100_000;
/** Characters of a source read at least, while the cap lasts. */
export const MIN_SHARE = 2000;
/** Characters of a page its language is read from. */
const LANGUAGE_SAMPLE = 4000;

type Family = "fields" | "lines";

function family(kind: LineKind): Family | null {
  if (kind === "field") return "fields";
  return kind === "item" || kind === "code" ? "lines" : null;
}

/** The lines of a page, a long one split into its sentences, whitespace runs collapsed. */
function pageLines(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = pageLine(raw);
    if (line.length <= LONG_LINE) out.push(line);
    else for (const s of sentences(line)) out.push(s.trim());
  }
  return out;
}

/** Cells of a line written as `a | b | c` (0 when it has no inner bar). */
function barCells(line: string): number {
  return line.includes(" | ") ? line.split(" | ").length : 0;
}

const CLOCK = /(?<!\d)\d{1,2}[:.]\d\d(?!\d)/;

/**
 * The shape of a row written with dots or dashes between its cells (`Bad Tölz ab 20:10 ·
 * Lenggries an 20:34`, `Haridwar (HW) — arr. 18:18`): the separator, the number of cells, and
 * "#" when every cell has a number; "" when neither that nor a clock time ends it.
 */
function dotRow(line: string): string {
  const dot = /\s([·•—–])\s/.exec(line)?.[1];
  if (dot === undefined) return "";
  const cells = line.split(` ${dot} `);
  // (A dash also sets a product off its price: "Velora T5 — ab 3.199 €".)
  if (/[·•]/.test(dot) && cells.every((c) => /\p{N}/u.test(c))) return `${dot}${cells.length}#`;
  return CLOCK.test(cells[cells.length - 1]) ? `${dot}${cells.length}` : "";
}

/**
 * A run of rows of one shape: two when every cell has a number, else three ending in clock
 * times (a timetable runs on; a list of products with their prices has no clock).
 */
function inRowRun(rows: readonly string[], i: number): boolean {
  const d = rows[i];
  if (d === "") return false;
  if (d.endsWith("#")) return rows[i - 1] === d || rows[i + 1] === d;
  let start = i;
  while (start > 0 && rows[start - 1] === d) start--;
  let end = i;
  while (end < rows.length - 1 && rows[end + 1] === d) end++;
  return end - start >= 2;
}

/**
 * The class of each line; a run of two or more lines with the same number (three or more) of
 * `a | b | c` cells is a table, not a menu of separators; so is a run of rows with numbers and
 * the same number of dotted cells (a timetable), which a byline or a menu is not.
 */
function lineClasses(
  lines: readonly string[],
  lang: Language,
  repeated: ReadonlySet<string>,
): LineClass[] {
  const cells = lines.map(barCells);
  const dots = lines.map(dotRow);
  return lines.map((line, i) => {
    if (line === "") return "soft";
    const n = cells[i];
    if (n >= 3 && (cells[i - 1] === n || cells[i + 1] === n)) return "item";
    if (inRowRun(dots, i)) return "item";
    const c = lineClass(line, lang);
    // The site's frame, repeated on its other page. A field, a list line or a line with a
    // number may be a fact both pages share (Elevator: yes; 6 – runs on Saturdays), a short
    // line a heading both share (Specifications).
    const frame = c === "prose" && repeated.has(line) && !/\p{N}/u.test(line);
    return frame ? "junk" : c;
  });
}

/** The readable units of one source, in page order (soft lines as units of their own). */
export function sourceUnits(
  source: RagSource,
  index: number,
  /** Lines another page of the source's site repeats (site_chrome.ts). */
  repeated: ReadonlySet<string> = new Set(),
): Unit[] {
  const text = removeStaleDates(source.text);
  const sample = text.slice(0, LANGUAGE_SAMPLE);
  const lang: Language = detectLanguage(words(sample), sample);
  const units: Unit[] = [];
  let block: string[] = [];
  let open: Family | "intro" | "announced" | null = null; // what the block takes next
  let fields = true;
  let code = false;
  let junkBefore = false;
  let hardBefore = false;
  let softBefore: string | null = null;
  let lastSoft: string | null = null;
  let previous = null as "junk" | "soft" | "unit" | null; // the previous non-blank line
  const push = (text: string, soft: boolean) =>
    units.push({
      sourceId: source.id,
      source: index,
      text,
      fields: fields && !soft,
      junkBefore,
      junkAfter: false,
      soft,
      hardBefore,
      softBefore,
      listLike: soft && listLike(text, lang),
      code: code && !soft,
    });
  const flush = () => {
    if (block.length > 0) push(block.join("\n"), false);
    block = [];
    open = null;
    fields = true;
    code = false;
  };
  const start = () => {
    junkBefore = previous === "junk" || previous === "soft";
    hardBefore = previous === "junk";
    softBefore = previous === "soft" ? lastSoft : null;
  };
  const add = (line: string) => {
    if (block.length === 0) start();
    block.push(line);
    previous = "unit";
  };
  const lines = pageLines(text);
  const classes = lineClasses(lines, lang, repeated);
  lines.forEach((line, i) => {
    if (line === "") {
      flush();
      return;
    }
    const kind = classes[i];
    // Short lines a sentence ending in ":" announces are what it announces ("Find the line
    // #Port 22 and write the new number:" / "Port 2222"). A label ("Read also:") announces
    // links as often.
    const announcing = open === "intro" || open === "announced";
    if (kind === "soft" && announcing && words(block[0]).length >= INTRO_SENTENCE) {
      fields = false;
      add(line);
      open = "announced";
      return;
    }
    if (kind === "junk" || kind === "soft") {
      flush();
      if (previous !== null && previous !== "junk") units[units.length - 1].junkAfter = true;
      if (kind === "soft") {
        start();
        push(line, true);
        lastSoft = line;
      }
      previous = kind;
      return;
    }
    const fam = family(kind);
    if (fam !== null) {
      if (open !== fam && open !== "intro") flush();
      if (fam !== "fields") fields = false;
      // A command: code symbols, or a line a sentence ending in ":" introduces.
      if (kind === "code" && (isCommand(line) || open === "intro")) code = true;
      add(line);
      open = fam;
    } else {
      flush();
      fields = false;
      add(line);
      if (/[:：]$/.test(line)) open = "intro";
      else flush();
    }
  });
  flush();
  return units;
}

/**
 * How many characters of each source are read: all of it while the total stays within `cap`;
 * beyond, an equal share each (at least MIN_SHARE), a short source's unused share going to the
 * longer ones; when the cap runs out, the later sources (lower in Open WebUI's ranking) get none.
 */
export function readShares(lengths: readonly number[], cap: number = MAX_READ_CHARS): number[] {
  let left = cap;
  let share = 0;
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b]);
  order.forEach((i, k) => {
    share = Math.floor(left / (order.length - k));
    left -= Math.min(lengths[i], share);
  });
  let budget = cap;
  return lengths.map((n) => {
    const read = Math.min(n, Math.max(share, MIN_SHARE), budget);
    budget -= read;
    return read;
  });
}

/**
 * The sources, each cut to its share of `cap` characters (at a line end when there is one).
 */
export function readSources(
  sources: readonly RagSource[],
  cap: number = MAX_READ_CHARS,
): RagSource[] {
  const shares = readShares(sources.map((s) => s.text.length), cap);
  return sources.map((s, i) => {
    if (shares[i] >= s.text.length) return s;
    const cut = s.text.lastIndexOf("\n", shares[i]);
    return { ...s, text: s.text.slice(0, cut > 0 ? cut : shares[i]) };
  });
}

/** The units of sources already read (readSources()), a site's repeated lines known. */
export function unitsOf(read: readonly RagSource[]): Unit[] {
  const repeated = siteRepeats(read);
  return read.flatMap((s, i) => sourceUnits(s, i, repeated[i]));
}

/** The units of all sources, each read up to its share of `cap` characters. */
export function allUnits(sources: readonly RagSource[], cap: number = MAX_READ_CHARS): Unit[] {
  return unitsOf(readSources(sources, cap));
}
