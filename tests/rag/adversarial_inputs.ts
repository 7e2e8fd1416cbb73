/**
 * Adversarial requests for the RAG path (issue 13 finding 10), shared by
 * tests/rag/adversarial_test.ts (what the result must be) and tests/bench/rag_bench.ts (how long
 * each takes). Each is far larger than any real request, shaped to make a backtracking regex or a
 * pairwise loop blow up.
 */
import type { ChatMessage } from "../../src/chat/messages.ts";

export const PHRASE = "Use the following reference information to answer the question ";
export const FACT = "The Eiffel Tower is 330 metres tall.";
export const QUESTION = "How tall is the Eiffel Tower?";

const sys = (content: string): ChatMessage => ({ role: "system", content });
const user = (content: string): ChatMessage => ({ role: "user", content });

/** A word of letters only, distinct for each n (so lines are not exact duplicates). */
export function letters(n: number): string {
  return n.toString(26).replace(/./g, (c) => String.fromCharCode(97 + parseInt(c, 26)));
}

/** The system prompt of the finding: one phrase repeated to 700 KB, no colon anywhere. */
export function repeatedPhrase(): ChatMessage[] {
  return [sys(PHRASE.repeat(Math.ceil(700_000 / PHRASE.length))), user(QUESTION)];
}

/** The same, with a real "reference information:" header and the fact at the very end. */
export function repeatedPhraseWithHeader(): ChatMessage[] {
  const text = `${PHRASE.repeat(Math.ceil(700_000 / PHRASE.length))}\n` +
    `Here is the reference information:\n${FACT}`;
  return [sys(text), user(QUESTION)];
}

/** 1 MB of opening `<source` tags that never close, inside a `<context>` block. */
export function unclosedSources(): ChatMessage[] {
  const open = '<source id="1" name="x">tower ';
  return [
    user(`<context>${open.repeat(Math.ceil(1_000_000 / open.length))}</context>\n${QUESTION}`),
  ];
}

/** 1 MB of `<source ` with no `>`: an opening tag whose attributes never end. */
export function endlessTag(): ChatMessage[] {
  return [user(`<context>${"<source a".repeat(Math.ceil(1_000_000 / 9))}</context>\n${QUESTION}`)];
}

/** One source of 100,000 distinct lines (about 4.5 MB), the fact first. */
export function hundredThousandLines(): ChatMessage[] {
  const lines = Array.from(
    { length: 100_000 },
    (_, i) =>
      `The ${letters(i)} page tells ${letters(i * 7 + 3)} readers about ${letters(i * 13)}.`,
  );
  return [user(
    `<context><source id="7" name="big">${FACT}\n${lines.join("\n")}</source></context>\n` +
      QUESTION,
  )];
}

/** A question of 700 KB of punctuation after the context. */
export function punctuationQuestion(): ChatMessage[] {
  return [user(`<context><source id="1">${FACT}</source></context>\n${"?!".repeat(350_000)}x`)];
}

export const ADVERSARIAL: readonly [string, () => ChatMessage[]][] = [
  ["700 KB system prompt of one phrase, no colon", repeatedPhrase],
  ["the same with a reference header at the end", repeatedPhraseWithHeader],
  ["1 MB of <source never closed", unclosedSources],
  ["1 MB of <source with no >", endlessTag],
  ["100,000 lines in one source", hundredThousandLines],
  ["700 KB question of punctuation", punctuationQuestion],
];
