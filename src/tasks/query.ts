/**
 * The instant web-search query: the last user turn of the history as a search phrase, enriched
 * with what the conversation was about when the turn alone is too vague to search for.
 *
 * Rules:
 * - Cleaning: reasoning, code and markdown removed, conversational openers ("hi", "can you",
 *   "I want to know" …) and filler ("please", "thanks" …) stripped, trailing punctuation removed.
 *   Nothing left, no content word (only stop words) or only an acknowledgement ("ok thanks",
 *   "great") → no query.
 * - Vague: the turn opens with a continuation ("and …", "but …", "what about …", "how about …",
 *   also "und", "aber", "et", "mais", "y", "pero"), or it has at most 3 content words and either
 *   a referring word (it, that, there, they …) or no subject of its own (a quoted, bold or
 *   capitalised name, an acronym, a number with a unit).
 * - Enrichment of a vague turn: entities from the previous assistant turn (if it yields none,
 *   from the user turn before), by tiers; only the first tier that yields anything is used, at
 *   most 3 entities, skipping ones the turn already mentions or that repeat a longer one:
 *   1. **bold** / __bold__ text and "quoted" / “quoted” / «quoted» strings (≤ 6 words);
 *   2. Capitalised Multi-Word Names ("Orange Pi 5 Plus", "Rockchip RK3588", "Bank of America"),
 *      a capitalised sentence-opening stop word dropped ("The Orange Pi" → "Orange Pi");
 *   3. single capitalised words or acronyms that do not open a sentence ("Paris", "RK3588");
 *   4. numbers with units ("32 GB", "14 tokens/s", "$149").
 *   The query is the entities, then the turn without its continuation opener and leading
 *   articles; that part is dropped when only stop words are left ("and the price?" →
 *   "Orange Pi 5 Plus price"; "what about it?" → "Orange Pi 5 Plus"). Without entities the
 *   cleaned turn is the query as it is.
 * - At most 200 characters: entities are added only while they fit; a long turn is cut at a
 *   word boundary.
 *
 * Pure: imports only src/tasks/*; no Deno.* calls, no clock.
 */
import type { HistoryTurn } from "./history.ts";
import {
  charLength,
  contentWords,
  plainText,
  REFERRING_WORDS,
  STOP_WORDS,
  stripFiller,
  stripOpeners,
  stripTrailingPunctuation,
  truncateAtWord,
  withoutReasoningOrCode,
  WORD,
  words,
} from "./text.ts";

export const QUERY_MAX_CHARS = 200;
const MAX_ENTITIES = 3;

const CONTINUATION_WORDS = [
  "and|but|or|plus|what about|how about|what of|same (?:for|with)",
  "und|aber|et|mais|y|pero",
];
const CONTINUATION = new RegExp(
  `^(?:${CONTINUATION_WORDS.join("|")})(?=$|[\\s,.!?;:])[\\s,.!?;:]*`,
  "i",
);

/** Whole-message acknowledgements that ask nothing. */
const ACKNOWLEDGEMENTS: ReadonlySet<string> = new Set(
  (
    "ok okay k cool great nice awesome perfect good fine thanks thank you thx ty got it " +
    "understood sure yes yeah yep no nope bye goodbye lol wow alright right hmm ah oh i see " +
    "makes sense sounds great"
  ).split(" "),
);

const BOLD = /\*\*([^*\n]+?)\*\*|__([^_\n]+?)__/g;
const QUOTED = /"([^"\n]+?)"|“([^”\n]+?)”|«\s*([^»\n]+?)\s*»|„([^“”\n]+?)[“”]/g;
const CONNECTORS: ReadonlySet<string> = new Set(
  "of de del der da di du la le von van y".split(" "),
);
const UNITS = [
  "%|°[CF]|[KMGT]i?B|kB|mAh|k?Wh|[kMG]?Hz|TOPS|W|V|tokens?/s|t/s|fps|ms",
  "km/h|mph|km|cm|mm|kg|lbs?|g|m|USD|EUR|GBP|dollars?|euros?",
  "years?|months?|days?|hours?|minutes?|seconds?",
];
const NUMBER = String.raw`\d[\d,]*(?:\.\d+)?`;
const UNIT_WORD = new RegExp(`^(?:${UNITS.join("|")})$`, "u");
const UNIT_NUMBER = new RegExp(
  String.raw`[$€£¥]\s?${NUMBER}|\b${NUMBER}\s?(?:${UNITS.join("|")})(?![\p{L}\p{N}])`,
  "gu",
);

/** Whether `text` opens with "and", "but", "what about" … */
function isContinuation(text: string): boolean {
  return CONTINUATION.test(text);
}

/** Whether every word of `text` is an acknowledgement ("ok thanks", "great!"). */
function isAcknowledgement(text: string): boolean {
  const ws = words(text);
  return ws.length > 0 && ws.every((w) => ACKNOWLEDGEMENTS.has(w));
}

/** A name-like word: starts with a capital ("Paris", "RK3588") or is camel-cased ("iPhone"). */
function isCapitalised(word: string): boolean {
  return /^\p{Ll}*\p{Lu}/u.test(word);
}

/** Whether a word at `index` of `text` opens a sentence (or a line, list item, heading). */
function opensSentence(text: string, index: number): boolean {
  const before = text.slice(0, index).replace(/[\s"'“‘(\[]+$/u, "");
  return before === "" || /[.!?:;•*#>…。！？-]$/u.test(before);
}

/** Tier 1: bold and quoted strings, ≤ 6 words, not ending in ":" and with a content word. */
function highlighted(text: string): string[] {
  const out: string[] = [];
  for (const re of [BOLD, QUOTED]) {
    for (const m of text.matchAll(re)) {
      const raw = m.slice(1).find((g) => g !== undefined)?.trim() ?? "";
      if (!raw || raw.endsWith(":")) continue;
      const entity = stripTrailingPunctuation(raw.replace(/[*_`]/g, ""));
      if (words(entity).length > 6 || contentWords(entity).length === 0) continue;
      out.push(entity);
    }
  }
  return out;
}

/**
 * Tiers 2 and 3: runs of capitalised words (multi-word names) and single capitalised words (not
 * units such as "GB" or "TOPS").
 */
function capitalisedRuns(text: string): { multi: string[]; single: string[] } {
  const multi: string[] = [];
  const single: string[] = [];
  const flush = (run: { word: string; initial: boolean }[]): void => {
    while (run.length && CONNECTORS.has(run.at(-1)!.word)) run.pop();
    while (run.length && STOP_WORDS.has(run[0].word.toLowerCase())) run.shift();
    if (run.length >= 2) multi.push(run.map((r) => r.word).join(" "));
    else if (run.length === 1 && UNIT_WORD.test(run[0].word)) return;
    else if (run.length === 1 && !run[0].initial) single.push(run[0].word);
    else if (run.length === 1 && /\d/.test(run[0].word)) single.push(run[0].word);
  };
  let run: { word: string; initial: boolean }[] = [];
  let prevEnd = -1;
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    const gap = prevEnd < 0 ? "" : text.slice(prevEnd, m.index);
    const joined = run.length > 0 && /^[ \t]+$/.test(gap);
    if (!joined) {
      flush(run);
      run = [];
    }
    const initial = opensSentence(text, m.index);
    if (isCapitalised(word)) {
      run.push({ word, initial });
    } else if (run.length > 0 && joined && (/^\d/.test(word) || CONNECTORS.has(word))) {
      run.push({ word, initial: false });
    } else {
      flush(run);
      run = [];
    }
    prevEnd = m.index + word.length;
  }
  flush(run);
  return { multi, single };
}

/** Tier 4: numbers with units. */
function unitNumbers(text: string): string[] {
  return [...text.matchAll(UNIT_NUMBER)].map((m) => m[0].trim());
}

/**
 * Entities of a message by tier (see the module comment): the first tier that yields anything,
 * deduplicated case-insensitively, in order of appearance.
 */
export function extractEntities(message: string): string[] {
  const prose = withoutReasoningOrCode(message);
  const lines = prose.split(/\r?\n/).map(plainText).filter(Boolean);
  const runs = lines.map(capitalisedRuns);
  const tiers = [
    highlighted(prose),
    runs.flatMap((r) => r.multi),
    runs.flatMap((r) => r.single),
    lines.flatMap(unitNumbers),
  ];
  for (const tier of tiers) {
    const seen = new Set<string>();
    const unique = tier.filter((e) => {
      const key = e.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    if (unique.length) return unique;
  }
  return [];
}

/** Whether the turn names a subject of its own (a name, an acronym, a number with a unit). */
function hasOwnSubject(text: string): boolean {
  if (highlighted(text).length || unitNumbers(text).length) return true;
  const runs = capitalisedRuns(text);
  return runs.multi.length > 0 || runs.single.length > 0;
}

/** Whether a cleaned user turn is too vague to search for on its own. */
export function isVague(turn: string): boolean {
  if (isContinuation(turn)) return true;
  const content = contentWords(turn);
  if (content.length > 3) return false;
  return words(turn).some((w) => REFERRING_WORDS.has(w)) || !hasOwnSubject(turn);
}

/** A user turn as search text: prose, openers and filler stripped, trailing punctuation off. */
export function cleanQuestion(text: string): string {
  return stripTrailingPunctuation(stripOpeners(stripFiller(plainText(text))));
}

/**
 * A vague turn's own part of an enriched query: without its continuation opener and leading
 * articles ("and the price" → "price"), "" when only stop words are left ("what about it").
 */
function coreOfVague(turn: string): string {
  const out = turn.replace(CONTINUATION, "").replace(/^(?:(?:the|a|an)\s+)+/i, "").trim();
  return contentWords(out).length ? out : "";
}

/** Joins entities and text within the character limit, entities first while they fit. */
function compose(entities: readonly string[], text: string): string {
  const base = truncateAtWord(text, QUERY_MAX_CHARS).text;
  const picked: string[] = [];
  for (const e of entities) {
    const next = [...picked, e, base].filter(Boolean).join(" ");
    if (charLength(next) <= QUERY_MAX_CHARS) picked.push(e);
  }
  return [...picked, base].filter(Boolean).join(" ");
}

/**
 * The search query for a conversation's last user turn, or null when the turn asks nothing
 * searchable.
 */
export function buildSearchQuery(history: readonly HistoryTurn[]): string | null {
  const lastUser = history.findLastIndex((t) => t.role === "user");
  if (lastUser < 0) return null;
  const turn = cleanQuestion(history[lastUser].content);
  if (!turn || isAcknowledgement(turn)) return null;
  if (!isVague(turn)) {
    return contentWords(turn).length ? truncateAtWord(turn, QUERY_MAX_CHARS).text : null;
  }
  const mentioned = turn.toLowerCase();
  const earlier = history.slice(0, lastUser).reverse();
  const sources = [
    earlier.find((t) => t.role === "assistant"),
    earlier.find((t) => t.role === "user"),
  ];
  let entities: string[] = [];
  for (const source of sources) {
    if (!source) continue;
    const found = extractEntities(source.content).filter((e) =>
      !mentioned.includes(e.toLowerCase())
    );
    entities = found.filter((e, i) =>
      !found.some((o, j) =>
        j !== i && o.length > e.length && o.toLowerCase().includes(e.toLowerCase())
      )
    ).slice(0, MAX_ENTITIES);
    if (entities.length) break;
  }
  const core = entities.length ? coreOfVague(turn) : turn;
  if (!entities.length && !contentWords(turn).length) return null;
  const query = compose(entities, core);
  return query || null;
}
