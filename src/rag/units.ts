/**
 * A retrieved page → its readable units, in page order. Each line is classified by features
 * (lines.ts) and junk lines are dropped; what is left is grouped into units: a prose line, or a
 * run of structure lines of one family (`label: value` fields; list items, table rows and code
 * lines) together with the line ending in ":" that introduces it, so structure stays intact. A
 * unit remembers whether page chrome (a junk line) touches it on either side: chrome comes in
 * regions, so what sits inside one needs more relevance to be kept (select.ts).
 *
 * Bounded work: the language is read from the start of the page, a line longer than LONG_LINE
 * (a page extracted without line breaks) is read sentence by sentence, and the sources are read
 * up to a cap in all (each gets an equal share of what the shorter ones leave): past some
 * hundred kilobytes the cleaner would block the server for longer than it is worth.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/*.
 */
import type { RagSource } from "./detect.ts";
import { classifyLine, type LineKind } from "./lines.ts";
import { removeStaleDates } from "./stale_dates.ts";
import { detectLanguage, type Language, sentences, words } from "./text.ts";

export interface Unit {
  sourceId: string;
  /** Index of the source the unit came from (chunks may share an id). */
  source: number;
  text: string;
  /** Every line is a `label: value` field: a spec or a profile, kept on its own relevance. */
  fields: boolean;
  /** A junk line comes right before the unit (blank lines do not count). */
  junkBefore: boolean;
  /** A junk line comes right after the unit. */
  junkAfter: boolean;
}

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
    const line = raw.trim().replace(/\s{2,}/g, " ");
    if (line.length <= LONG_LINE) out.push(line);
    else for (const s of sentences(line)) out.push(s.trim());
  }
  return out;
}

/** The readable units of one source, in page order. */
export function sourceUnits(source: RagSource, index: number): Unit[] {
  const text = removeStaleDates(source.text);
  const sample = text.slice(0, LANGUAGE_SAMPLE);
  const lang: Language = detectLanguage(words(sample), sample);
  const units: Unit[] = [];
  let block: string[] = [];
  let open: Family | "intro" | null = null; // what the block takes next
  let fields = true;
  let junkBefore = false;
  let previous = null as "junk" | "unit" | null; // the previous non-blank line
  const flush = () => {
    if (block.length > 0) {
      const text = block.join("\n");
      units.push({
        sourceId: source.id,
        source: index,
        text,
        fields,
        junkBefore,
        junkAfter: false,
      });
    }
    block = [];
    open = null;
    fields = true;
  };
  const add = (line: string) => {
    if (block.length === 0) junkBefore = previous === "junk";
    block.push(line);
    previous = "unit";
  };
  for (const line of pageLines(text)) {
    if (line === "") {
      flush();
      continue;
    }
    const kind = classifyLine(line, lang);
    if (kind === "junk") {
      flush();
      if (previous === "unit") units[units.length - 1].junkAfter = true;
      previous = "junk";
      continue;
    }
    const fam = family(kind);
    if (fam !== null) {
      if (open !== fam && open !== "intro") flush();
      if (fam !== "fields") fields = false;
      add(line);
      open = fam;
    } else {
      flush();
      fields = false;
      add(line);
      if (/[:：]$/.test(line)) open = "intro";
      else flush();
    }
  }
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

/** The units of all sources, each read up to its share of `cap` characters. */
export function allUnits(sources: readonly RagSource[], cap: number = MAX_READ_CHARS): Unit[] {
  return readSources(sources, cap).flatMap((s, i) => sourceUnits(s, i));
}
