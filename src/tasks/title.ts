/**
 * The instant chat title: the first real user message of the history, made title-like.
 *
 * Rules: reasoning, code and markdown removed; the first line with words left after stripping
 * conversational openers ("Hi! Can you please tell me …"), and of it the first sentence when
 * that sentence has at least two words; cut to at most 50 characters at a word boundary (stop
 * words left dangling by the cut are dropped); trailing punctuation and a Spanish opening ¿ ¡
 * removed; first letter upper-cased. A user message that is only a greeting is skipped; with no
 * usable message the title is "New Chat".
 *
 * Emoji: only when the task template asks for one (it mentions "emoji" and does not say "no",
 * "without", "avoid" or "do not use" emojis; Open WebUI's newest default forbids them, older
 * ones ask for one). The emoji comes from a small keyword table over the message, 💬 when nothing
 * matches, and is put in front of the (≤ 50 character) text.
 *
 * Pure: imports only src/tasks/*; no Deno.* calls, no clock.
 */
import type { HistoryTurn } from "./history.ts";
import {
  plainText,
  stripDanglingStopWords,
  stripOpeners,
  stripTrailingPunctuation,
  truncateAtWord,
  withoutReasoningOrCode,
  words,
} from "./text.ts";

export const TITLE_MAX_CHARS = 50;
export const DEFAULT_TITLE = "New Chat";

/** Keyword (start of a word, any case) → emoji; the first matching row wins. */
const EMOJI_TABLE: readonly [RegExp, string][] = [
  [/\b(?:recipe|cook|bak(?:e|ing)|food|dish|meal|dinner|lunch|breakfast)/i, "🍳"],
  [/\b(?:travel|trip|flight|hotel|vacation|holiday)/i, "✈️"],
  [/\b(?:capital|country|countries|city|cities|geograph|population|map)/i, "🌍"],
  [/\b(?:price|cost|money|budget|invest|stock|financ|salary|tax)/i, "💰"],
  [/\b(?:health|doctor|symptom|medic|diet|sleep|exercise|workout)/i, "🩺"],
  [/\b(?:music|song|guitar|piano|album|band)/i, "🎵"],
  [/\b(?:game|gaming|chess)/i, "🎮"],
  [/\b(?:math|equation|calculat|integral|algebra|geometry)/i, "🧮"],
  [/\b(?:science|physics|chemistr|biolog|experiment)/i, "🔬"],
  [/\b(?:weather|forecast|rain|snow)/i, "🌦️"],
  [/\b(?:ai|llm|npu|neural|machine learning|language model)\b/i, "🤖"],
  [/\b(?:code|coding|program|python|javascript|typescript|rust|java|sql|api)/i, "💻"],
  [/\b(?:bug|error|function|script|linux|docker|compile)/i, "💻"],
  [/\b(?:write|writing|essay|story|poem|letter|email|translat)/i, "✍️"],
];
const DEFAULT_EMOJI = "💬";

const EMOJI_WANTED = /\bemojis?\b/i;
const EMOJI_FORBIDDEN = new RegExp(
  String
    .raw`\b(?:no|without|avoid(?: using)?|(?:do not|don't|never|not) use)\s+(?:any\s+)?emojis?\b`,
  "i",
);

/** Whether a title template's instructions ask for an emoji. */
export function wantsEmoji(instructions: string): boolean {
  return EMOJI_WANTED.test(instructions) && !EMOJI_FORBIDDEN.test(instructions);
}

/** The emoji for a title about `text`. */
export function titleEmoji(text: string): string {
  for (const [pattern, emoji] of EMOJI_TABLE) if (pattern.test(text)) return emoji;
  return DEFAULT_EMOJI;
}

/** The first sentence of `text` when it has two words or more, else all of it. */
function leadSentence(text: string): string {
  const m = /^(.*?[.!?。！？])(?:\s|$)/u.exec(text);
  if (m && words(m[1]).length >= 2) return m[1];
  return text;
}

/** A title made from one user message, or "" when nothing usable is left. */
export function titleFromText(text: string): string {
  const cleaned = withoutReasoningOrCode(text);
  for (const line of cleaned.split(/\r?\n/)) {
    const prose = stripOpeners(plainText(line));
    if (!/[\p{L}\p{N}]/u.test(prose)) continue;
    let title = stripTrailingPunctuation(leadSentence(prose)).replace(/^[¿¡]+/u, "");
    const cut = truncateAtWord(title, TITLE_MAX_CHARS);
    title = stripTrailingPunctuation(cut.cut ? stripDanglingStopWords(cut.text) : cut.text);
    if (!/[\p{L}\p{N}]/u.test(title)) continue;
    const head = String.fromCodePoint(title.codePointAt(0)!);
    return head.toUpperCase() + title.slice(head.length);
  }
  return "";
}

/**
 * The title for a conversation: from its first user message that yields one, "New Chat" when
 * none does; with `emoji`, prefixed by the table's emoji and a space.
 */
export function makeTitle(history: readonly HistoryTurn[], emoji: boolean): string {
  for (const turn of history) {
    if (turn.role !== "user") continue;
    const title = titleFromText(turn.content);
    if (title) return emoji ? `${titleEmoji(turn.content)} ${title}` : title;
  }
  return emoji ? `${DEFAULT_EMOJI} ${DEFAULT_TITLE}` : DEFAULT_TITLE;
}
