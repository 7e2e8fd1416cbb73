/**
 * Stale "now" claims: a retrieved page that says "the current date is March 3, 2026" or "Current
 * time: 10:12" states the moment it was crawled, which is wrong when the model reads it. Such a
 * sentence is cut from its line (and a line left empty goes), before anything else reads the
 * page. Only claims that carry a date or a clock time go: "Today, Apple announced …" is news.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports nothing.
 */

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

/** The text with its "the current date is …" sentences that carry a date or time removed. */
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
