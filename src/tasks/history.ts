/**
 * The conversation a task is about. Open WebUI renders it into the template as a `<chat_history>`
 * block of `USER: …` / `ASSISTANT: …` lines (a message may span several lines); setups that put
 * the template in a system message may send the conversation as ordinary turns instead.
 *
 * Pure: imports only src/tasks/* and the ChatMessage type; no Deno.* calls, no clock.
 */
import type { ChatMessage } from "../chat/messages.ts";
import { findTaskMessage, TASK_HEADER } from "./detect.ts";

export interface HistoryTurn {
  role: "user" | "assistant";
  content: string;
}

const OPEN = /(?<!`)<chat_history>/i;
const CLOSE = /<\/chat_history>/gi;
const PREFIX = /^[ \t]*(user|assistant)[ \t]*:[ \t]?(.*)$/i;

/**
 * The content of the `<chat_history>` block: from the first opening tag to the last closing tag
 * (to the end when the closing tag is missing); null when there is no block.
 */
export function chatHistoryBlock(text: string): string | null {
  const open = OPEN.exec(text);
  if (!open) return null;
  const rest = text.slice(open.index + open[0].length);
  let close = -1;
  for (const m of rest.matchAll(CLOSE)) close = m.index;
  return close < 0 ? rest : rest.slice(0, close);
}

/**
 * The turns of the `<chat_history>` block. A line starting `USER:` or `ASSISTANT:` (any case)
 * starts a turn; other lines continue the current one; lines before the first prefix are
 * ignored. Contents are trimmed and empty turns dropped. No block → [].
 */
export function parseChatHistory(text: string): HistoryTurn[] {
  const block = chatHistoryBlock(text);
  if (block === null) return [];
  const turns: HistoryTurn[] = [];
  let current: { role: HistoryTurn["role"]; lines: string[] } | null = null;
  const flush = (): void => {
    if (!current) return;
    const content = current.lines.join("\n").trim();
    if (content) turns.push({ role: current.role, content });
  };
  for (const line of block.split(/\r?\n/)) {
    const m = PREFIX.exec(line);
    if (m) {
      flush();
      current = { role: m[1].toLowerCase() as HistoryTurn["role"], lines: [m[2]] };
    } else if (current) {
      current.lines.push(line);
    }
  }
  flush();
  return turns;
}

/**
 * The conversation a task request is about: the `<chat_history>` block of the task message (or,
 * failing that, of the last user message or a system message); without any block, the request's
 * own user/assistant turns minus task templates.
 */
export function taskHistory(messages: readonly ChatMessage[]): HistoryTurn[] {
  const task = findTaskMessage(messages)?.message;
  const candidates = [
    task,
    messages.findLast((m) => m.role === "user"),
    ...messages.filter((m) => m.role === "system"),
  ];
  for (const m of candidates) {
    if (m && OPEN.test(m.content)) return parseChatHistory(m.content);
  }
  const turns: HistoryTurn[] = [];
  for (const m of messages) {
    if (m.role !== "user" && m.role !== "assistant") continue;
    if (TASK_HEADER.test(m.content)) continue;
    const content = m.content.trim();
    if (content) turns.push({ role: m.role, content });
  }
  return turns;
}
