/**
 * Text helpers shared by the title and search-query shortcuts: markdown and reasoning removal,
 * conversational openers and filler, stop words, truncation at a word boundary.
 *
 * Pure: imports nothing from src/; no Deno.* calls, no clock.
 */

/** Words that carry no topic: pronouns, auxiliaries, question words, articles, prepositions. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but so also then than too very just really quite " +
    "i me my mine myself you your yours we us our ours it its it's itself they them their theirs " +
    "he him his she her hers this that these those there here one ones " +
    "is are was were be been being am do does did doing done have has had having " +
    "can could would should will shall may might must can't don't doesn't didn't isn't aren't " +
    "won't wouldn't shouldn't couldn't what's how's where's who's that's there's i'm i'd i've " +
    "what which who whom whose when where why how much many more most some any all each other " +
    "about of in on at to for from with by as into onto over under up down out off if not no " +
    "yes please thanks thank get got tell know want like need let give make"
  ).split(" "),
);

/** Pronouns that point back at something said earlier. */
export const REFERRING_WORDS: ReadonlySet<string> = new Set(
  "it its it's they them their this that these those there he him his she her one ones".split(" "),
);

/** A word: letters/digits, with inner apostrophes, dots, hyphens or pluses ("1.7B", "Wi-Fi"). */
export const WORD = /[\p{L}\p{N}](?:[\p{L}\p{N}'’.+-]*[\p{L}\p{N}+])?/gu;

/** The words of `text`, lower-cased, typographic apostrophes made plain. */
export function words(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.toLowerCase().replaceAll("’", "'"));
}

/** The words of `text` that are not stop words. */
export function contentWords(text: string): string[] {
  return words(text).filter((w) => !STOP_WORDS.has(w));
}

/** Text without reasoning: `<think>` blocks and Open WebUI's `<details>` rendering of them. */
export function withoutReasoning(text: string): string {
  return text
    .replace(/<think>[\s\S]*?(?:<\/think>|$)/gi, " ")
    .replace(/<details\b[^>]*>[\s\S]*?(?:<\/details>|$)/gi, " ");
}

/** Text without reasoning and fenced code. */
export function withoutReasoningOrCode(text: string): string {
  return withoutReasoning(text).replace(/```[\s\S]*?(?:```|$)/g, " ");
}

/**
 * Message text as prose: reasoning (`<think>`, Open WebUI's `<details>`) and fenced code removed,
 * images and links reduced to their text, inline code, emphasis and heading/quote/list markers
 * dropped, whitespace collapsed.
 */
export function plainText(text: string): string {
  return withoutReasoningOrCode(text)
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*\*|__|\*|~~)(?=\S)([\s\S]*?\S)\1/g, "$2")
    .replace(/^[ \t]*(?:#{1,6}|>|[-*+•]|\d+[.)])[ \t]+/gm, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** Greetings, politeness and "can you"-style preambles that may open a message (Latin script). */
const OPENER_PHRASES: readonly string[] = [
  "good (?:morning|afternoon|evening|day)",
  "(?:hi|hello|hey|hiya|howdy|yo|greetings)" +
  "(?: there| assistant| bot| ai| chatgpt| buddy| friend| all)?",
  "hallo|bonjour|salut|hola|ciao|olá|привет|здравствуйте",
  "please|pls|plz|kindly",
  "(?:can|could|would|will) (?:you|u)(?: please)?(?: kindly)?",
  "would you mind|would you be able to|are you able to|is it possible to",
  "i(?: want| wanted| need| needed| would like|'d like|’d like) (?:to know|to ask|you to|to learn)",
  "i(?:'m| am|’m) (?:wondering|curious)|i was wondering|i wonder|i have a question",
  "quick question|question(?=\\s*:)",
  "do you know|tell me about|tell me|help me(?: to)?|let me know|explain to me",
  "so|ok|okay|well|um|uh|hmm|also|btw|by the way|thanks|thank you|thx",
];

/** The same for scripts without spaces, matched without a word boundary. */
const OPENER_PHRASES_CJK: readonly string[] = [
  "你好",
  "您好",
  "请问",
  "请",
  "こんにちは",
  "안녕하세요",
];

const OPENER = new RegExp(
  `^(?:(?:${OPENER_PHRASES.join("|")})(?=$|[\\s,.!?;:…，。！？、])|(?:${
    OPENER_PHRASES_CJK.join("|")
  }))[\\s,.!?;:…，。！？、–—-]*`,
  "iu",
);

/** Removes leading openers, repeatedly: "Hi! Can you please tell me what…" → "what…". */
export function stripOpeners(text: string): string {
  let out = text.trim();
  for (let i = 0; i < 12; i++) {
    const next = out.replace(OPENER, "");
    if (next === out) break;
    out = next;
  }
  return out.trim();
}

const FILLER_WORDS =
  "please|pls|plz|kindly|thanks|thank you(?: (?:so|very) much)?|thx|by any chance";
const FILLER = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${FILLER_WORDS})(?![\p{L}\p{N}])[,!]?`,
  "giu",
);

/** Removes politeness filler anywhere ("…, please?" → "…?"), then tidies spaces. */
export function stripFiller(text: string): string {
  return text.replace(FILLER, " ").replace(/[\s,]*([,.!?;:])/g, "$1").replace(/\s+/g, " ")
    .replace(/^[\s,;:]+|[\s,;:]+$/g, "");
}

/** Trailing punctuation, ASCII and full-width, and stray quotes. */
export function stripTrailingPunctuation(text: string): string {
  return text.replace(/[\s.,;:!?…。，、；：！？"'“”‘’«»()\[\]-]+$/u, "");
}

/**
 * `text` cut to at most `max` characters (code points) at a word boundary; a single word longer
 * than `max` (or text without spaces, e.g. Chinese) is cut at `max`. Returns whether it was cut.
 */
export function truncateAtWord(text: string, max: number): { text: string; cut: boolean } {
  const chars = Array.from(text);
  if (chars.length <= max) return { text, cut: false };
  const head = chars.slice(0, max + 1).join("");
  const space = head.lastIndexOf(" ");
  if (space > 0) return { text: head.slice(0, space).trimEnd(), cut: true };
  return { text: chars.slice(0, max).join(""), cut: true };
}

/** Drops stop words left dangling at the end by a cut ("… capital of the" → "… capital"). */
export function stripDanglingStopWords(text: string): string {
  const parts = text.split(" ");
  while (
    parts.length > 1 && STOP_WORDS.has(stripTrailingPunctuation(parts.at(-1)!).toLowerCase())
  ) {
    parts.pop();
  }
  return parts.join(" ");
}

/** Length in code points, the unit every limit in this module uses. */
export function charLength(text: string): number {
  return Array.from(text).length;
}
