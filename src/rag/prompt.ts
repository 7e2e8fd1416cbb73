/**
 * The text a small model reads in RAG mode: the kept paragraphs as a reading-comprehension
 * passage, then the question (reference A.10.8), and the notice used when the search found
 * nothing worth reading.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/*.
 *
 * Deliberate differences from the reference:
 * - Each source's paragraphs are grouped under its Open WebUI id, `[N] …`, and the model is told
 *   to cite as [N]: Open WebUI turns `[N]` in the answer into a link to source N, so the ids must
 *   be the ones Open WebUI assigned (the reference sent bare text and citations were invented).
 * - The question sits on its own line after a colon, keeping its own punctuation, so a question
 *   ending in `?` no longer yields `?.`.
 */
import type { KeptParagraph } from "./select.ts";

export interface RagPromptOptions {
  /** Thinking is on: the model can afford to check whether the answer is there. */
  thinking: boolean;
}

/** The passage, grouped by source id in order of first appearance. */
export function formatSources(kept: readonly KeptParagraph[]): string {
  const groups = new Map<string, string[]>();
  for (const p of kept) {
    const group = groups.get(p.sourceId);
    if (group) group.push(p.text);
    else groups.set(p.sourceId, [p.text]);
  }
  return [...groups].map(([id, texts]) => `[${id}] ${texts.join("\n")}`).join("\n\n");
}

/** The whole RAG prompt: passage, question, instructions. */
export function ragPrompt(
  kept: readonly KeptParagraph[],
  question: string,
  opts: RagPromptOptions,
): string {
  const example = kept.length > 0 ? kept[0].sourceId : "1";
  const abstain = opts.thinking ? " If the sources do not answer it, say you don't know." : "";
  return `${formatSources(kept)}\n\n` +
    `Using the sources above, answer this question: ${question.trim()}\n` +
    "Answer in detail with specific facts and examples. " +
    `Cite the source of each fact by its number in brackets, like [${example}].${abstain}`;
}

/** System instruction for a search that found nothing useful for the question. */
export function noResultsNotice(): string {
  return "The web search found nothing useful for this question. Say so in one sentence, " +
    "then answer from the conversation and your own knowledge.";
}
