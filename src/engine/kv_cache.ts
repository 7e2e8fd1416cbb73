/**
 * Which conversation the runtime's KV cache holds, and whether a request can reuse it.
 *
 * The runtime keeps every turn it ran with keep_history=1. A request is an incremental turn when
 * its conversation minus the new user message equals what the cache holds: the system prompt,
 * every user message and every assistant reply as this server produced it (compared after
 * `<think>` blocks are stripped and whitespace trimmed). Then only the new user message is sent.
 * Anything else (regenerate, an edit anywhere, another chat, another model) is a reset.
 * Pure: no Deno APIs, no clock.
 */
import { stripThinkBlocks } from "../chat/think.ts";
import { serializeToolCalls } from "./tool_calls.ts";
import type { ChatMessage, ToolCall } from "../chat/messages.ts";

export interface Turn {
  role: "user" | "assistant" | "tool";
  content: string;
}

/** The normalised conversation the KV cache holds. */
export interface CachedConversation {
  system: string;
  turns: Turn[];
  /**
   * Tokens the cache holds beyond the turns' text: a RAG turn is recorded as the user's
   * question, but the runtime prefilled the whole retrieved context.
   */
  extraTokens?: number;
}

export type KvDecision =
  | { mode: "incremental"; message: string; role: "user" | "tool" }
  | { mode: "reset" };

/** Normalises a request's messages into the form the cache is compared in. */
export function normaliseConversation(messages: readonly ChatMessage[]): CachedConversation {
  const system: string[] = [];
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === "system") {
      if (m.content.trim()) system.push(m.content.trim());
    } else if (m.role === "user") {
      turns.push({ role: "user", content: m.content.trim() });
    } else if (m.role === "assistant") {
      const content = assistantText(m.content, m.toolCalls ?? []);
      // Empty assistant turns (aborted replies) are not in the runtime's cache either.
      if (content) turns.push({ role: "assistant", content });
    } else {
      turns.push({ role: "tool", content: m.content.trim() });
    }
  }
  return { system: system.join("\n\n"), turns };
}

/** An assistant turn as compared: visible text, then its tool calls in canonical form. */
export function assistantText(content: string, calls: readonly ToolCall[]): string {
  const text = stripThinkBlocks(content).trim();
  return calls.length ? [text, serializeToolCalls(calls)].filter(Boolean).join("\n") : text;
}

function sameTurns(a: readonly Turn[], b: readonly Turn[]): boolean {
  return a.length === b.length &&
    a.every((t, i) => t.role === b[i].role && t.content === b[i].content);
}

/** The same conversation, turn for turn (and the same retrieved context held beyond it). */
export function sameConversation(a: CachedConversation, b: CachedConversation): boolean {
  return a.system === b.system && (a.extraTokens ?? 0) === (b.extraTokens ?? 0) &&
    sameTurns(a.turns, b.turns);
}

export function decideKv(
  cached: CachedConversation | null,
  request: CachedConversation,
): KvDecision {
  if (!cached || cached.system !== request.system) return { mode: "reset" };
  const held = cached.turns.length;
  if (request.turns.length <= held) return { mode: "reset" };
  if (!sameTurns(cached.turns, request.turns.slice(0, held))) return { mode: "reset" };
  const added = request.turns.slice(held);
  if (added.length === 1 && added[0].role === "user") {
    return { mode: "incremental", message: added[0].content, role: "user" };
  }
  // The results of the calls the model just made go back with the runtime's tool role.
  if (added.every((t) => t.role === "tool")) {
    return { mode: "incremental", message: added.map((t) => t.content).join("\n"), role: "tool" };
  }
  return { mode: "reset" };
}

/** What the cache holds after a clean run that answered `request` with `reply`. */
export function afterCleanRun(
  request: CachedConversation,
  reply: string,
  extraTokens = 0,
): CachedConversation {
  const content = stripThinkBlocks(reply).trim();
  const turns = [...request.turns];
  if (content) turns.push({ role: "assistant", content });
  const extra = (request.extraTokens ?? 0) + extraTokens;
  return extra
    ? { system: request.system, turns, extraTokens: extra }
    : { system: request.system, turns };
}
