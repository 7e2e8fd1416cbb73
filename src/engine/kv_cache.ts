/**
 * Which conversation the runtime's KV cache holds, and whether a request can reuse it.
 *
 * The runtime keeps every turn it ran with keep_history=1. A request is an incremental turn when
 * its conversation minus the new user message equals what the cache holds: the system prompt,
 * every user message with its images and every assistant reply as this server produced it
 * (compared after `<think>` blocks are stripped and whitespace trimmed; images by a digest of
 * their bytes). Then only the new user message is sent, with its images. Anything else
 * (regenerate, an edit anywhere, another picture, another chat, another model) is a reset.
 * Pure: no Deno APIs, no clock.
 */
import { stripThinkBlocks } from "../chat/think.ts";
import { withImageTags } from "../vision/image_tags.ts";
import { serializeToolCalls } from "./tool_calls.ts";
import type { ChatMessage, ImageInput, ToolCall } from "../chat/messages.ts";

export interface Turn {
  role: "user" | "assistant" | "tool";
  content: string;
  /** A user turn's images: digests of their bytes, in order. */
  images?: string[];
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
  /** Cache positions one image takes (estimated), when the turns hold images. */
  imageTokens?: number;
}

/** How a conversation's images are compared and counted. */
export interface ImageKeys {
  /** A digest of the image's bytes: the same picture sent again gives the same digest. */
  digest(image: ImageInput): string;
  /** Cache positions one image takes (estimated). */
  tokens: number;
}

export type KvDecision =
  | { mode: "incremental"; message: string; role: "user" | "tool" }
  | { mode: "reset" };

/**
 * Normalises a request's messages into the form the cache is compared in. Images need `images`
 * (a request with images and no way to compare them is a programming error).
 */
export function normaliseConversation(
  messages: readonly ChatMessage[],
  images?: ImageKeys,
): CachedConversation {
  const system: string[] = [];
  const turns: Turn[] = [];
  let pictures = 0;
  for (const m of messages) {
    if (m.role === "system") {
      if (m.content.trim()) system.push(m.content.trim());
    } else if (m.role === "user") {
      const turn: Turn = { role: "user", content: m.content.trim() };
      if (m.images?.length) {
        if (!images) throw new Error("normaliseConversation: images given without ImageKeys");
        turn.images = m.images.map((i) => images.digest(i));
        pictures += m.images.length;
      }
      turns.push(turn);
    } else if (m.role === "assistant") {
      const content = assistantText(m.content, m.toolCalls ?? []);
      // Empty assistant turns (aborted replies) are not in the runtime's cache either.
      if (content) turns.push({ role: "assistant", content });
    } else {
      turns.push({ role: "tool", content: m.content.trim() });
    }
  }
  const conversation: CachedConversation = { system: system.join("\n\n"), turns };
  if (pictures && images) conversation.imageTokens = images.tokens;
  return conversation;
}

/** An assistant turn as compared: visible text, then its tool calls in canonical form. */
export function assistantText(content: string, calls: readonly ToolCall[]): string {
  const text = stripThinkBlocks(content).trim();
  return calls.length ? [text, serializeToolCalls(calls)].filter(Boolean).join("\n") : text;
}

function sameTurns(a: readonly Turn[], b: readonly Turn[]): boolean {
  return a.length === b.length &&
    a.every((t, i) =>
      t.role === b[i].role && t.content === b[i].content && sameImages(t.images, b[i].images)
    );
}

function sameImages(a: readonly string[] = [], b: readonly string[] = []): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
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
    // With images, the message goes as a multimodal input: one placeholder per image.
    const { content, images } = added[0];
    const message = images?.length ? withImageTags(content, images.length) : content;
    return { mode: "incremental", message, role: "user" };
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
  const after: CachedConversation = { system: request.system, turns };
  if (extra) after.extraTokens = extra;
  if (request.imageTokens !== undefined) after.imageTokens = request.imageTokens;
  return after;
}
