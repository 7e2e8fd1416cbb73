/**
 * Messages → the plain text the runtime receives. The runtime applies the model's chat template
 * itself, so a whole conversation is sent as one user input: the system text, then either the
 * single question or a `User:` / `Assistant:` transcript. History is trimmed, oldest turns first,
 * to the context budget. Pure: no Deno APIs, no clock.
 *
 * Token estimate (the runtime exposes no tokenizer): ASCII characters / 3 plus 1.5 per other
 * character, rounded up, plus 8 per turn for template tokens. Real tokenizers average about
 * 4 ASCII characters and 1 to 1.5 tokens per CJK character, so this overestimates, which is
 * the safe side: a prompt we accept is never cut by the runtime. An image counts as the cache
 * positions the conversation says one takes.
 *
 * Images: a prompt whose turns hold images carries one `<image>` placeholder per image, in front
 * of its turn's text, and all its other text escaped (src/vision/image_tags.ts). A turn dropped
 * to fit the budget is dropped with its images: they are neither sent nor counted.
 */
import { ContextLengthError } from "../errors.ts";
import { escapeImageTags, withImageTags } from "../vision/image_tags.ts";
import type { CachedConversation, Turn } from "./kv_cache.ts";

const TEMPLATE_TOKENS_PER_TURN = 8;

export function estimateTokens(text: string): number {
  let ascii = 0;
  let other = 0;
  for (const ch of text) {
    if (ch.charCodeAt(0) < 128) ascii++;
    else other++;
  }
  return Math.ceil(ascii / 3 + other * 1.5);
}

const FLUFF = [
  /you are a helpful assistant\s*(?:[.!?]\s*|$)/gi,
  /you are an? ai assistant\s*(?:[.!?]\s*|$)/gi,
  /you are an? assistant\s*(?:[.!?]\s*|$)/gi,
  /you are an? helpful ai\s*(?:[.!?]\s*|$)/gi,
  /as an ai assistant\s*(?:[.!?]\s*|$)/gi,
  /as a helpful assistant\s*(?:[.!?]\s*|$)/gi,
];
const DATE_ONLY = /^today is \d{4}-\d{2}-\d{2}\b.*$/i;
const ASKS_ABOUT_TIME =
  /\b(?:date|time|today|tonight|tomorrow|yesterday|day|week|month|year|when|clock|hour|minute|schedule)\b/i;

/**
 * Drops generic "you are a helpful assistant" phrases (they cost small models prefill time and
 * add nothing), and a system prompt that only states today's date unless the question is
 * about time (small models otherwise mention the date in every answer).
 */
export function cleanSystemPrompt(system: string, question: string): string {
  let text = system;
  for (const re of FLUFF) text = text.replace(re, "");
  text = text.trim();
  if (!text) return "";
  if (!text.includes("\n") && DATE_ONLY.test(text) && !ASKS_ABOUT_TIME.test(question)) return "";
  return text;
}

function renderTurns(turns: readonly Turn[], text: (t: Turn) => string): string[] {
  if (turns.length === 1) return [text(turns[0])];
  return turns.map((t) =>
    t.role === "assistant"
      ? `Assistant: ${text(t)}`
      : t.role === "tool"
      ? `Tool result: ${text(t)}`
      : `User: ${text(t)}`
  );
}

function imagesIn(turns: readonly Turn[]): number {
  return turns.reduce((n, t) => n + (t.images?.length ?? 0), 0);
}

export interface BuiltPrompt {
  prompt: string;
  /** Turns dropped from the start of the history to fit the budget. */
  droppedTurns: number;
  estimatedTokens: number;
}

export function conversationTokens(conv: CachedConversation): number {
  const perImage = conv.imageTokens ?? 0;
  return (conv.extraTokens ?? 0) + estimateTokens(conv.system) +
    conv.turns.reduce(
      (sum, t) =>
        sum + estimateTokens(t.content) + TEMPLATE_TOKENS_PER_TURN +
        (t.images?.length ?? 0) * perImage,
      0,
    );
}

/**
 * The full prompt for a conversation whose last turn is the new question, trimmed to
 * `budgetTokens` (and to `maxImages` images) by dropping the oldest turns (the system prompt and
 * the last turn always stay).
 */
export function buildPrompt(
  conv: CachedConversation,
  budgetTokens: number,
  opts: { maxImages?: number } = {},
): BuiltPrompt {
  const question = conv.turns.at(-1)?.content ?? "";
  const system = cleanSystemPrompt(conv.system, question);
  const maxImages = opts.maxImages ?? Infinity;
  // Costs computed once, dropped from the front with running sums: linear in the turns.
  const perImage = conv.imageTokens ?? 0;
  const all = conv.turns;
  const costs = all.map((t) =>
    estimateTokens(t.content) + TEMPLATE_TOKENS_PER_TURN + (t.images?.length ?? 0) * perImage
  );
  let remaining = costs.reduce((a, b) => a + b, 0);
  let images = imagesIn(all);
  const base = estimateTokens(system) + TEMPLATE_TOKENS_PER_TURN;
  let start = 0;
  while (
    all.length - start > 1 && (base + remaining > budgetTokens || images > maxImages)
  ) {
    // Drop a whole exchange at a time so the transcript never starts with an orphan answer.
    // Never as far as the last turn, though, even when it is an assistant turn.
    const cut = all.length - start > 2 && all[start].role === "user" &&
        all[start + 1].role === "assistant"
      ? 2
      : 1;
    for (let i = start; i < start + cut; i++) {
      remaining -= costs[i];
      images -= all[i].images?.length ?? 0;
    }
    start += cut;
  }
  const turns = all.slice(start);
  const dropped = start;
  const estimated = base + remaining;
  if (estimated > budgetTokens) {
    const each = images ? ` (each image counts as about ${conv.imageTokens} tokens)` : "";
    throw new ContextLengthError(
      `This model's context allows about ${budgetTokens} prompt tokens after reserving room for ` +
        `the answer, but the system prompt and latest message need about ${estimated} ` +
        `(estimated${each}). Shorten the message or request fewer max_tokens.`,
    );
  }
  // Text that goes with images is escaped, so only the images' placeholders count.
  const plain = images ? escapeImageTags : (text: string) => text;
  const text = (t: Turn): string =>
    t.images?.length ? withImageTags(t.content, t.images.length) : plain(t.content);
  const rendered = renderTurns(turns, text);
  const parts = system ? [plain(system), ...rendered] : rendered;
  return { prompt: parts.join("\n"), droppedTurns: dropped, estimatedTokens: estimated };
}
