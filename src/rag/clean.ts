/**
 * The web-content cleaner: one retrieved chunk (a web page extract or a document chunk) → the
 * lines a small model should read. Line based, in five passes: pass 0 removes stale "current
 * date/time is …" claims (Part C), passes 1–4 are reference A.10.3 (boilerplate phrases,
 * navigation patterns, menu runs, content signal). If the cleaned text is 100 characters or
 * less the cleaner gave up on a page it does not understand, and the text is returned as it was
 * (after pass 0 only).
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports nothing.
 *
 * Deliberate differences from the reference:
 * - Navigation pattern (d) ("a lone link") looks for `.`, `!`, `?` outside the URL. The
 *   reference looked at the whole line, so any URL with a dot in it (nearly all of them)
 *   disqualified its own line and the pattern never fired.
 * - The short-result fallback returns the text after pass 0, not the raw text: a stale date
 *   claim is wrong in every case, while passes 1–4 are judgements that can misfire.
 */

/** Pass 1: a line shorter than 150 characters containing one of these (lower-cased) is dropped. */
export const BOILERPLATE_PHRASES: readonly string[] = [
  "sign in",
  "log in",
  "sign up",
  "create account",
  "subscribe now",
  "subscribe to",
  "newsletter signup",
  "cookie policy",
  "privacy policy",
  "terms of service",
  "terms of use",
  "terms & conditions",
  "terms and conditions",
  "all rights reserved",
  "skip to content",
  "skip to main",
  "skip to navigation",
  "advertisement",
  "sponsored content",
  "sponsored by",
  "accept cookies",
  "accept all",
  "cookie settings",
  "manage preferences",
  "cookie consent",
  "follow us on",
  "share on facebook",
  "share on twitter",
  "tweet this",
  "pin it",
  "share this",
  "back to top",
  "read more",
  "show more",
  "load more",
  "related articles",
  "you may also like",
  "recommended for you",
  "trending now",
  "download the app",
  "get the app",
  "unsubscribe",
  "no thanks",
  "dismiss",
  "powered by",
  "built with",
];

const BOILERPLATE_MAX_LINE = 150;
const SENTENCE_PUNCT = /[.!?]/;
const CAMEL_JOINT = /[a-z][A-Z]/g;
const URL = /https?:\/\/\S*/g;
const MENU_LINE_MAX = 30;
const MENU_RUN_MIN = 4;
const CONTENT_SIGNAL = /[\d.!?;:]/;
const CONTENT_LINE_MIN = 40;
const FALLBACK_MAX = 100;

// ---- pass 0: stale date claims -------------------------------------------------------------

const MONTH =
  "(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const WEEKDAY = "(?:mon|tues|wednes|thurs|fri|satur|sun)day";

/** A date or a clock time: what makes a "current date" claim checkable, and so stale. */
const DATE_LIKE = new RegExp(
  [
    String.raw`\b\d{4}-\d{1,2}-\d{1,2}\b`, // 2026-03-03
    String.raw`\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b`, // 3/3/2026, 03.03.26
    String.raw`\b${MONTH}\.?\s+\d{1,2}(?:st|nd|rd|th)?\b`, // March 3, Mar. 3rd
    String.raw`\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?${MONTH}\b`, // 3 March, 3rd of March
    String.raw`\b${MONTH}\.?\s+\d{4}\b`, // March 2026
    String.raw`\b${WEEKDAY}\b`, // Monday
    String.raw`\b\d{1,2}:\d{2}\b`, // 10:12
  ].join("|"),
  "i",
);

/**
 * A claim about "now", from its subject to the end of its sentence (a `.`, `!` or `?` followed
 * by a capital letter or the end of the line, so "Mar. 3" does not end it) or of the line.
 * Only the forms that state the present moment; "Today, Apple announced …" is news, not one.
 */
const NOW_CLAIM = new RegExp(
  String
    .raw`\b(?:(?:the\s+)?current\s+(?:local\s+)?(?:date|time|day)(?:\s+and\s+(?:date|time))?\s*(?:is\b|:)` +
    String
      .raw`|today(?:['’]s\s+date)?\s+is\b|today['’]s\s+date\s*:|it\s+is\s+(?:currently|now)\b)` +
    String.raw`[^\n]*?(?:[.!?](?=\s+\p{Lu}|\s*$)|$)`,
  "giu",
);

/** Pass 0: removes "the current date is …" sentences that carry a date or time. */
export function removeStaleDates(text: string): string {
  return text.split("\n").flatMap((line) => {
    let changed = false;
    const out = line.replace(NOW_CLAIM, (claim) => {
      if (!DATE_LIKE.test(claim)) return claim;
      changed = true;
      return "";
    });
    if (!changed) return [line];
    const tidy = out.replace(/[ \t]{2,}/g, " ").trim();
    return tidy ? [tidy] : [];
  }).join("\n");
}

// ---- passes 1–4 ----------------------------------------------------------------------------

function isBoilerplate(line: string): boolean {
  if (line.length >= BOILERPLATE_MAX_LINE) return false;
  const lower = line.toLowerCase();
  return BOILERPLATE_PHRASES.some((phrase) => lower.includes(phrase));
}

/** Pass 2: the navigation patterns (a)–(d) of A.10.3; returns the one that matched. */
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

function isShortNav(line: string): boolean {
  return line !== "" && line.length < MENU_LINE_MAX && !SENTENCE_PUNCT.test(line);
}

/** Pass 3: drops runs of ≥4 short lines (blank lines extend a started run and count). */
function dropMenuRuns(lines: readonly string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length < MENU_RUN_MIN) out.push(...run);
    run = [];
  };
  for (const line of lines) {
    if (isShortNav(line) || (line === "" && run.length > 0)) {
      run.push(line);
    } else {
      flush();
      out.push(line);
    }
  }
  flush();
  return out;
}

/** Pass 4: one blank between blocks, none leading; a line needs a digit, punctuation or length. */
function keepContent(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if (line === "") {
      if (out.length > 0 && out[out.length - 1] !== "") out.push("");
    } else if (CONTENT_SIGNAL.test(line) || line.length >= CONTENT_LINE_MIN) {
      out.push(line);
    }
  }
  return out;
}

/** One retrieved chunk → its readable lines (see the module comment for the passes). */
export function cleanSource(text: string): string {
  const dated = removeStaleDates(text);
  const lines = dated.split("\n").map((l) => l.trim())
    .filter((l) => l === "" || (!isBoilerplate(l) && navigationPattern(l) === null));
  const cleaned = keepContent(dropMenuRuns(lines)).join("\n").trim();
  return cleaned.length <= FALLBACK_MAX ? dated : cleaned;
}
