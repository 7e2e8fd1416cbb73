/**
 * A background task asked as the next turn of the conversation the KV cache already holds: the
 * task's own instruction without the `<chat_history>` copy of that conversation (the model has
 * just read it), and whether the task is about that very conversation.
 *
 * Pure: imports only src/tasks/* and the ChatMessage type; no Deno.* calls, no clock.
 */
import type { ChatMessage } from "../chat/messages.ts";
import { findTaskMessage } from "./detect.ts";
import { chatHistoryBlock, type HistoryTurn, parseChatHistory } from "./history.ts";
import { withoutReasoning } from "./text.ts";

const HISTORY_HEADING = /^[ \t]*#{1,6}[ \t]*chat history[ \t]*:?[ \t]*$/im;

/**
 * The task message with its `<chat_history>` block (and the heading above it) replaced by a
 * pointer to the conversation so far; null when the task carries no such block (then it is not
 * about a cached conversation).
 */
export function continuationInstruction(messages: readonly ChatMessage[]): string | null {
  const task = findTaskMessage(messages)?.message;
  if (!task) return null;
  const block = chatHistoryBlock(task.content);
  if (block === null) return null;
  const text = task.content;
  const open = text.search(/<chat_history>/i);
  const closeAt = text.lastIndexOf("</chat_history>");
  const end = closeAt < 0 ? text.length : closeAt + "</chat_history>".length;
  const before = text.slice(0, open).replace(HISTORY_HEADING, "").trimEnd();
  const after = text.slice(end).trim();
  return [before, "(The chat history is the conversation above.)", after]
    .filter(Boolean).join("\n");
}

function comparable(text: string): string {
  return withoutReasoning(text).replace(/\s+/g, " ").trim();
}

/**
 * Whether the task's `<chat_history>` is the end of `turns` (the conversation in the cache):
 * every turn it lists, in order, matches the last turns of the conversation.
 */
export function historyEndsWith(
  messages: readonly ChatMessage[],
  turns: readonly { role: string; content: string }[],
): boolean {
  const task = findTaskMessage(messages)?.message;
  if (!task) return false;
  const history: HistoryTurn[] = parseChatHistory(task.content);
  const tail = turns.filter((t) => t.role === "user" || t.role === "assistant")
    .slice(-history.length);
  return history.length > 0 && tail.length === history.length &&
    history.every((h, i) =>
      h.role === tail[i].role && comparable(h.content) === comparable(tail[i].content)
    );
}
