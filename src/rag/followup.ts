/**
 * Follow-up detection: whether a question that arrived with retrieved context is really a
 * conversational follow-up ("thanks", "why?", "and the other one?") that the web results do not
 * answer, so the context should be dropped and the conversation answered normally. Open WebUI
 * searches on every turn when web search is on, and a small model handed unrelated search
 * results for "thanks" answers the search results.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/text.ts.
 *
 * Layers, after Part C of the reference:
 * - questions that refer to the document or page ("summarize", "the article", "this file") never
 *   skip: they are about the context even when they share no word with it;
 * - layer 1 (always): the whole question is a filler word or phrase;
 * - layer 2 of v2.0 (≤ 3 words after an assistant turn) is gone: "Qwen3 RK3588 speed?" is short
 *   and a real question;
 * - layer 3 (only after an assistant turn): 1–8 content words, none of which occurs in the
 *   reference text (v2.0 skipped below 30 % overlap, which dropped good results), and no name
 *   from the last answer occurs there either ("and the second one?" after an answer that named
 *   two mountains is about the pages on them).
 */

import { isCjk } from "./text.ts";

/** Layer 1: questions that are nothing but one of these (after trimming `?!.,`). */
export const FILLER_QUESTIONS: ReadonlySet<string> = new Set([
  "yes",
  "no",
  "yeah",
  "nah",
  "yep",
  "nope",
  "ok",
  "okay",
  "sure",
  "thanks",
  "thank you",
  "please",
  "go ahead",
  "continue",
  "more",
  "why",
  "how",
  "what",
  "really",
  "cool",
  "nice",
  "wow",
  "great",
  "interesting",
  "tell me more",
  "go on",
  "and",
  "also",
]);

/** Layer 3: words that carry no topic (the reference's list). */
const FOLLOWUP_STOPWORDS: ReadonlySet<string> = new Set(
  (
    "the a an is are was were be been of in to for and or but not on at by it its this that " +
    "with from as do does did has have had will would can could should may me my i you your " +
    "we our they them their he she him her about what which who how when where why tell give " +
    "some any all more much many very just also so if than then like know get make go see no " +
    "yes up out new one two"
  ).split(" "),
);

/** A question about the retrieved material itself never skips it. */
const DOCUMENT_REFERENTIAL = new RegExp(
  String.raw`\b(?:summari[sz]e|summari[sz]ing|summary|tl;?dr)\b` +
    String.raw`|\b(?:the|this|that|these|those|above|attached|uploaded|provided|given)\s+` +
    String.raw`(?:documents?|docs?|files?|articles?|pages?|web\s?pages?|pdfs?|texts?|links?|` +
    String.raw`urls?|websites?|sites?|sources?|search results?|results?|context|attachments?|` +
    String.raw`papers?|reports?|passages?|excerpts?)\b`,
  "i",
);

const MAX_CONTENT_WORDS = 8;
const MIN_CONTENT_WORD = 3;

/**
 * `text` without the given characters at its end (and at its start when `both`). By index: a
 * pattern like `/[?!.,]+$/` retries at every character of a long run and goes quadratic.
 */
export function trimEdges(text: string, chars: string, both: boolean): string {
  let start = 0;
  let end = text.length;
  while (end > start && chars.includes(text[end - 1])) end--;
  while (both && start < end && chars.includes(text[start])) start++;
  return text.slice(start, end);
}

/**
 * The part of a word an inflected form shares with it: words of five letters or more lose their
 * last fifth (Korean and Turkish glue particles and cases on: 전입신고는 / 전입신고).
 */
export function stem(word: string): string {
  const chars = [...word];
  return chars.length < 5 ? word : chars.slice(0, Math.ceil(chars.length * 0.8)).join("");
}

/** Pairs of CJK characters next to each other, each once (at most MAX_PAIRS). */
function cjkPairs(text: string): string[] {
  const out = new Set<string>();
  for (
    const run
      of text.slice(0, 2000).match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu) ??
        []
  ) {
    const chars = [...run];
    for (let i = 0; i + 1 < chars.length && out.size < MAX_PAIRS; i++) {
      out.add(chars[i] + chars[i + 1]);
    }
  }
  return [...out];
}

const MAX_PAIRS = 64;

/** The layer-3 content words of a question. */
export function contentWords(question: string): string[] {
  // Chinese and Japanese write no spaces, and the segmenter splits words it does not know (门票
  // → 门, 票): pairs of characters.
  if (isCjk(question)) return cjkPairs(question);
  return question.toLowerCase().split(/\s+/)
    .map((w) => trimEdges(w, `?!.,;:'"()`, true))
    .filter((w) => w.length >= MIN_CONTENT_WORD && !FOLLOWUP_STOPWORDS.has(w));
}

/** True when the question is about the retrieved document or page itself. */
export function isDocumentReferential(question: string): boolean {
  return DOCUMENT_REFERENTIAL.test(question);
}

/**
 * Why the retrieved context should be ignored for this question, or null to use it.
 * `referenceText` is the cleaned text of all sources.
 */
export function followUpReason(
  question: string,
  hasAssistantTurn: boolean,
  referenceText: string,
  /** The last assistant answer: sources about what it named were searched for this turn. */
  lastAnswer = "",
  /** The user's question before this one. */
  previousQuestion = "",
): string | null {
  if (isDocumentReferential(question)) return null;
  const norm = trimEdges(question.trim().toLowerCase(), "?!.,", false).replace(/\s+/g, " ");
  if (FILLER_QUESTIONS.has(norm)) return `filler follow-up "${norm}"`;
  if (!hasAssistantTurn) return null;
  const words = contentWords(question);
  if (words.length === 0 || words.length > MAX_CONTENT_WORDS) return null;
  const reference = referenceText.toLowerCase();
  if (words.some((w) => reference.includes(stem(w)))) return null;
  // "And how tall is the second one?" names nothing itself; the answer before it named it, or
  // the question before it did (Open WebUI searches with the conversation's topic).
  const named = answerNames(lastAnswer);
  if (named.some((w) => reference.includes(w))) return null;
  const asked = contentWords(previousQuestion)
    .filter((w) => [...w].length >= (isCjk(w) ? 2 : MIN_NAME));
  if (asked.some((w) => reference.includes(stem(w)))) return null;
  return `follow-up shares no word with the sources (${words.join(", ")})`;
}

/** Shortest name in an answer that ties a follow-up to the sources. */
const MIN_NAME = 4;
/** Names of an answer read at most (a long answer is cut). */
const MAX_NAMES = 32;

/**
 * The names an answer mentions, lower-cased: capitalised words that do not start a sentence, and
 * words with digits (Mulhacén, RK3588), in any script that has capitals.
 */
export function answerNames(answer: string): string[] {
  const out: string[] = [];
  for (const m of answer.slice(0, 4000).matchAll(/[\p{L}\p{N}][\p{L}\p{N}_-]*/gu)) {
    if (out.length >= MAX_NAMES) break;
    const w = m[0];
    const initial = /(?:^|[.!?¿¡:]\s*)$/u.test(answer.slice(Math.max(0, m.index - 3), m.index));
    const name = (/^\p{Lu}/u.test(w) && !initial) || (/\p{N}/u.test(w) && /\p{L}/u.test(w));
    if (name && w.length >= MIN_NAME) out.push(w.toLowerCase());
  }
  return out;
}
