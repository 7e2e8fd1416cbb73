/**
 * Recognises Open WebUI's background task requests (title, tags, follow-up suggestions, search
 * queries, autocomplete) among a chat request's messages, so the server can answer them without
 * the NPU or run them with a strict output contract.
 *
 * Matching is loose on purpose (admins edit the templates) but needs two kinds of evidence:
 * - structure: a `### Task:` heading line (any heading level, any case) or a `<chat_history>`
 *   block;
 * - a kind signal, looked for only in the template's own words (the inserted chat history,
 *   context, `<text>` and `<type>` blocks are cut out first, so what the user said never counts):
 *   the JSON key of the output section (`"title":`, `"tags":`, `"follow_ups":`, `"queries":`,
 *   `"text":`) and/or a phrase ("title", "tags", "follow-up", "search queries", "autocompletion").
 *
 * The last user message is read first: with a `<chat_history>` block a key or a phrase is enough;
 * with only a heading both are needed (a user who types "### Task: give me a title" or pastes
 * `{"title": …}` is chatting). A system message counts only with structure, key and phrase.
 * Each present signal scores (key 2, phrase 1); the highest score wins, ties go to the more
 * specific kind (autocomplete, follow_ups, tags, queries, title). RAG prompts (`<context>`,
 * `<source>`, "provided context") without a chat history are never tasks.
 *
 * Pure: imports only the ChatMessage type; no Deno.* calls, no clock.
 */
import type { ChatMessage } from "../chat/messages.ts";

export type TaskKind = "title" | "tags" | "follow_ups" | "queries" | "autocomplete";

/** Every kind, in the order settings and logs list them. */
export const TASK_KINDS: readonly TaskKind[] = [
  "title",
  "tags",
  "follow_ups",
  "queries",
  "autocomplete",
];

/** A markdown heading line `Task:` (`### Task:`, `## task :` …). */
export const TASK_HEADER: RegExp = /^[ \t]*#{1,6}[ \t]*task[ \t]*:/im;

const HISTORY_OPEN = /(?<!`)<chat_history>/i;

/**
 * Blocks whose content is inserted by Open WebUI (user text), not written by the admin. A tag in
 * backticks is the template talking about the block ("Continue the text in `<text>`"), not one.
 */
const INSERTED_BLOCKS: readonly RegExp[] = [
  /(?<!`)<chat_history>[\s\S]*?(?:<\/chat_history>|$)/gi,
  /(?<!`)<context>[\s\S]*?(?:<\/context>|$)/gi,
  /(?<!`)<source\b[^>]*>[\s\S]*?(?:<\/source>|$)/gi,
  /(?<!`)<text>[\s\S]*?<\/text>/gi,
  /(?<!`)<type>[\s\S]*?<\/type>/gi,
];

const RAG = /<context>|<source\b|\bprovided context\b/i;

interface Signal {
  key: RegExp;
  phrase: RegExp;
}

const SIGNALS: Record<TaskKind, Signal> = {
  title: { key: /["'`]title["'`]\s*:/gi, phrase: /\btitle\b/i },
  tags: { key: /["'`]tags["'`]\s*:/gi, phrase: /\btags\b/i },
  follow_ups: { key: /["'`]follow[_-]?ups["'`]\s*:/gi, phrase: /\bfollow[- _]?ups?\b/i },
  queries: {
    key: /["'`]queries["'`]\s*:/gi,
    phrase: /\bsearch\s+quer(?:y|ies)\b|\bwhether a (?:web )?search is (?:necessary|needed)\b/i,
  },
  autocomplete: { key: /["'`]text["'`]\s*:/gi, phrase: /\bauto-?complet/i },
};

/** Tie-break order: the more specific kind first. */
const PRIORITY: readonly TaskKind[] = ["autocomplete", "follow_ups", "tags", "queries", "title"];

/** The template's own words: `text` with the inserted blocks cut out. */
export function instructionText(text: string): string {
  let out = text;
  for (const block of INSERTED_BLOCKS) out = out.replace(block, " ");
  return out;
}

/** Which task one message's text is, or null. `fromSystem` asks for the stricter evidence. */
export function classifyTaskText(text: string, fromSystem = false): TaskKind | null {
  const hasHistory = HISTORY_OPEN.test(text);
  const hasHeader = TASK_HEADER.test(text);
  if (!hasHistory && !hasHeader) return null;
  if (!hasHistory && RAG.test(text)) return null;
  const instructions = instructionText(text);
  let best: TaskKind | null = null;
  let bestScore = 0;
  for (const kind of PRIORITY) {
    const { key, phrase } = SIGNALS[kind];
    const hasKey = instructions.search(key) >= 0;
    // The phrase must appear outside the key itself (`"title":` alone is not prose).
    const hasPhrase = phrase.test(instructions.replace(key, " "));
    const enough = fromSystem || !hasHistory ? hasKey && hasPhrase : hasKey || hasPhrase;
    if (!enough) continue;
    const score = (hasKey ? 2 : 0) + (hasPhrase ? 1 : 0);
    if (score > bestScore) {
      best = kind;
      bestScore = score;
    }
  }
  return best;
}

/** The message carrying the task template, with its kind; null for ordinary chat. */
export function findTaskMessage(
  messages: readonly ChatMessage[],
): { kind: TaskKind; message: ChatMessage } | null {
  const lastUser = messages.findLast((m) => m.role === "user");
  if (lastUser) {
    const kind = classifyTaskText(lastUser.content);
    if (kind) return { kind, message: lastUser };
  }
  for (const m of messages) {
    if (m.role !== "system") continue;
    const kind = classifyTaskText(m.content, true);
    if (kind) return { kind, message: m };
  }
  return null;
}

/** Which Open WebUI background task this request is, or null for anything else. */
export function detectTask(messages: readonly ChatMessage[]): TaskKind | null {
  return findTaskMessage(messages)?.kind ?? null;
}
