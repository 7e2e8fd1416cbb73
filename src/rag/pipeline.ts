/**
 * The one entry the engine calls for retrieved context: messages → a plan. Detect the context;
 * drop it for a conversational follow-up; otherwise select what is worth reading (select.ts:
 * feature-based junk removal, dedupe, BM25 relevance against the question and the recent
 * conversation, irrelevant sources dropped) within the model's context; when nothing is left,
 * tell the model the search found nothing; otherwise build the reading-comprehension prompt, and
 * a cold variant that also carries the recent conversation turns that fit.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only src/rag/* and the ChatMessage type.
 *
 * Deliberate differences from the reference (A.10, A.18 quirk 6):
 * - Dropping the context (follow-up, or nothing useful) removes only the RAG block: the user
 *   message becomes the bare question and a system message keeps its own instructions. The
 *   reference threw the whole system prompt away.
 * - Nothing useful (all junk, or every paragraph a duplicate) is said to the model with a short
 *   system notice, so it does not pretend to have searched successfully.
 * - Budget: 3 characters per token of what the answer does not reserve,
 *   max(500, ⌊(contextTokens − answerTokens) × 3⌋ − |question| − 200). The reference used
 *   ctx × 1.5 (v2.0) or ctx × 4 × 0.65 (HEAD), ignoring the answer reserve.
 */
import type { ChatMessage } from "../chat/messages.ts";
import { detectRag, type RagInput } from "./detect.ts";
import { followUpReason, isDocumentReferential } from "./followup.ts";
import { noResultsNotice, ragPrompt } from "./prompt.ts";
import { type PackResult, readableText, selectContext } from "./select.ts";

export type RagPlan =
  | { kind: "none" }
  | { kind: "followup"; messages: ChatMessage[]; reason: string }
  | { kind: "no_results"; messages: ChatMessage[]; pack: PackResult }
  | {
    kind: "rag";
    /** The conversation with the RAG block replaced by the user's own question. */
    messages: ChatMessage[];
    prompt: string;
    /**
     * `prompt` preceded by the most recent conversation turns that fit the budget, for a run
     * that starts from an empty KV cache (a follow-up like "and the second one?" needs them).
     */
    coldPrompt: string;
    question: string;
    sourceIds: string[];
    thinkingAllowed: boolean;
    cacheContext: string;
    pack: PackResult;
  };

export interface RagPlanOptions {
  /** The model's context length in tokens. */
  contextTokens: number;
  /** Tokens reserved for the answer. */
  answerTokens: number;
}

/** Below this context, RAG answers run without thinking (reference A.10.8). */
const THINKING_MIN_CONTEXT = 8192;
const CHARS_PER_TOKEN = 3;
const MIN_BUDGET = 500;
const BUDGET_MARGIN = 200;

/** Characters of context the packer may use. */
export function ragBudget(opts: RagPlanOptions, question: string): number {
  const free = Math.floor((opts.contextTokens - opts.answerTokens) * CHARS_PER_TOKEN);
  return Math.max(MIN_BUDGET, free - question.length - BUDGET_MARGIN);
}

/** The conversation with the RAG block taken out of the message that carried it. */
function withoutRag(messages: readonly ChatMessage[], rag: RagInput): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const [i, m] of messages.entries()) {
    if (i !== rag.messageIndex) out.push({ ...m });
    else if (rag.placement === "user") out.push({ ...m, content: rag.question });
    else if (rag.rest !== "") out.push({ ...m, content: rag.rest });
  }
  return out;
}

/** Adds a system instruction: appended to the first system message, or as a new first one. */
function withSystemNote(messages: ChatMessage[], note: string): ChatMessage[] {
  const i = messages.findIndex((m) => m.role === "system");
  if (i < 0) return [{ role: "system", content: note }, ...messages];
  return messages.map((m, j) => j === i ? { ...m, content: `${m.content}\n\n${note}` } : m);
}

/** The user and assistant turns before the last user message, oldest first. */
function earlierTurns(conversation: readonly ChatMessage[]): ChatMessage[] {
  const last = conversation.findLastIndex((m) => m.role === "user");
  return conversation.slice(0, Math.max(0, last))
    .filter((m) => (m.role === "user" || m.role === "assistant") && m.content.trim() !== "");
}

/** `prompt` after the most recent turns that fit in `room` characters (whole turns only). */
export function withHistory(prompt: string, turns: readonly ChatMessage[], room: number): string {
  const lines: string[] = [];
  let left = room;
  for (const turn of [...turns].reverse()) {
    const line = `${turn.role === "user" ? "User" : "Assistant"}: ${turn.content.trim()}`;
    if (line.length + 1 > left) break;
    lines.unshift(line);
    left -= line.length + 1;
  }
  return lines.length === 0 ? prompt : `Conversation so far:\n${lines.join("\n")}\n\n${prompt}`;
}

/** What to do with a chat request that may carry retrieved context. */
export function planRag(messages: readonly ChatMessage[], opts: RagPlanOptions): RagPlan {
  const rag = detectRag(messages);
  if (!rag) return { kind: "none" };
  const question = rag.question.trim();
  if (question === "") return { kind: "none" };

  const hasAssistantTurn = messages.some((m) => m.role === "assistant");
  const conversation = withoutRag(messages, rag);
  // The readable text matters only after an assistant turn (followUpReason's last layer).
  const reference = hasAssistantTurn ? readableText(rag.sources) : "";
  const lastAnswer = messages.findLast((m) => m.role === "assistant")?.content ?? "";
  const previousQuestion = earlierTurns(conversation).findLast((m) => m.role === "user");
  const reason = followUpReason(
    question,
    hasAssistantTurn,
    reference,
    lastAnswer,
    previousQuestion?.content ?? "",
  );
  if (reason !== null) return { kind: "followup", messages: conversation, reason };

  const rawChars = rag.sources.reduce((n, s) => n + s.text.length, 0);
  const turns = earlierTurns(conversation);
  const budget = ragBudget(opts, question);
  const pack = selectContext(
    rag.sources,
    question,
    turns.map((t) => t.content),
    budget,
    rawChars,
    isDocumentReferential(question),
  );
  if (pack.kept.length === 0) {
    return {
      kind: "no_results",
      messages: withSystemNote(conversation, noResultsNotice()),
      pack,
    };
  }
  const thinkingAllowed = opts.contextTokens >= THINKING_MIN_CONTEXT;
  const prompt = ragPrompt(pack.kept, question, { thinking: thinkingAllowed });
  return {
    kind: "rag",
    messages: conversation,
    prompt,
    coldPrompt: withHistory(prompt, turns, budget - pack.charsAfter),
    question,
    sourceIds: [...new Set(pack.kept.map((p) => p.sourceId))],
    thinkingAllowed,
    cacheContext: pack.kept.map((p) => `[${p.sourceId}] ${p.text}`).join("\n\n"),
    pack,
  };
}
