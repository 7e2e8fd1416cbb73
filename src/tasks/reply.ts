/**
 * Turns what the model said for a task into the JSON text Open WebUI parses, or the shortcut
 * reply when the model's answer is unusable. Small models wrap the JSON in reasoning, code fences
 * and chatter, echo the template's placeholders, or get the shape wrong.
 *
 * Steps: drop `<think>…</think>` blocks (also an orphan `</think>` and everything before it, and
 * an unclosed `<think>` and everything after it); then, for each `{` in order, take the balanced
 * object (string-aware) and parse it (retrying without trailing commas, then with raw line breaks
 * and tabs as spaces); the first object whose shape fits the kind wins. Lenient on keys (case,
 * `-`/`_`: `"Follow-Ups"` is `follow_ups`) and, for the list kinds, on a bare array when the
 * output holds no object at all (an older follow-up template asked for an array); strict on
 * values:
 * - title: a string, trimmed and whitespace-collapsed, 1..80 characters;
 * - tags, follow_ups, queries: an array of at most 10 strings, each non-empty once trimmed
 *   (an empty array is valid);
 * - autocomplete (`text`): a string, kept verbatim (a leading space is part of a continuation).
 * Values that are the templates' own placeholders ("your concise title here", "tag1",
 * "Question 1?", "query1", "<your_completion>") are rejected. Output is re-serialised with only
 * the kind's key. Never throws.
 *
 * Pure: imports only src/tasks/* and the ChatMessage type; no Deno.* calls, no clock.
 */
import type { ChatMessage } from "../chat/messages.ts";
import type { TaskKind } from "./detect.ts";
import { shortcutReply, STATIC_REPLIES } from "./shortcut.ts";

export const TITLE_MAX_REPLY_CHARS = 80;
export const LIST_MAX_ITEMS = 10;

/** The JSON key each kind answers with. */
export const TASK_KEYS: Readonly<Record<TaskKind, string>> = Object.freeze({
  title: "title",
  tags: "tags",
  follow_ups: "follow_ups",
  queries: "queries",
  autocomplete: "text",
});

const PLACEHOLDERS: ReadonlySet<string> = new Set([
  "your concise title here",
  "tag1",
  "tag2",
  "tag3",
  "question 1?",
  "question 2?",
  "question 3?",
  "query1",
  "query2",
  "<your_completion>",
]);

/** Caps the work on pathological output: objects tried per reply. */
const MAX_CANDIDATES = 64;

/** `text` without reasoning: closed blocks, an orphan close and what precedes it, an open tail. */
export function stripReasoning(text: string): string {
  let out = text.replace(/<think>[\s\S]*?<\/think>/gi, " ");
  const closes = [...out.matchAll(/<\/think>/gi)];
  const lastClose = closes.at(-1);
  if (lastClose) out = out.slice(lastClose.index + lastClose[0].length);
  const open = out.search(/<think>/i);
  if (open >= 0) out = out.slice(0, open);
  return out;
}

/** The end index (exclusive) of the balanced JSON value opening at `start`, or -1. */
function balancedEnd(text: string, start: number): number {
  const open = text[start];
  const close = open === "{" ? "}" : "]";
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return c === close ? i + 1 : -1;
    }
  }
  return -1;
}

/**
 * JSON.parse, retried without trailing commas and then also with raw line breaks and tabs (which
 * small models put inside strings) as spaces; undefined when nothing parses.
 */
function parseLoose(slice: string): unknown {
  const noTrailingCommas = slice.replace(/,\s*([}\]])/g, "$1");
  for (const attempt of [slice, noTrailingCommas, noTrailingCommas.replace(/[\r\n\t]/g, " ")]) {
    try {
      return JSON.parse(attempt);
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** Every JSON value opening with `opener` in `text`, in order of their opening character. */
function* jsonValues(text: string, opener: "{" | "["): Generator<unknown> {
  let tried = 0;
  for (
    let i = text.indexOf(opener);
    i >= 0 && tried < MAX_CANDIDATES;
    i = text.indexOf(opener, i + 1)
  ) {
    tried++;
    const end = balancedEnd(text, i);
    if (end < 0) continue;
    const value = parseLoose(text.slice(i, end));
    if (value !== undefined) yield value;
  }
}

function normKey(key: string): string {
  return key.toLowerCase().replace(/[-_\s]/g, "");
}

/** The value under the kind's key, matched leniently. */
function valueFor(kind: TaskKind, obj: Record<string, unknown>): unknown {
  const want = normKey(TASK_KEYS[kind]);
  for (const [k, v] of Object.entries(obj)) if (normKey(k) === want) return v;
  return undefined;
}

function isPlaceholder(value: string): boolean {
  return PLACEHOLDERS.has(value.trim().toLowerCase());
}

/** The kind's value in canonical form, or undefined when the shape is wrong. */
function validate(kind: TaskKind, value: unknown): unknown {
  switch (kind) {
    case "title": {
      if (typeof value !== "string") return undefined;
      const title = value.replace(/\s+/g, " ").trim();
      const length = Array.from(title).length;
      if (length === 0 || length > TITLE_MAX_REPLY_CHARS || isPlaceholder(title)) return undefined;
      return title;
    }
    case "autocomplete":
      return typeof value === "string" && !isPlaceholder(value) ? value : undefined;
    case "tags":
    case "follow_ups":
    case "queries": {
      if (!Array.isArray(value) || value.length > LIST_MAX_ITEMS) return undefined;
      const items: string[] = [];
      for (const item of value) {
        if (typeof item !== "string") return undefined;
        const trimmed = item.trim();
        if (!trimmed || isPlaceholder(trimmed)) return undefined;
        items.push(trimmed);
      }
      return items;
    }
  }
}

/** The canonical reply found in `output`, or null. */
export function parseTaskOutput(kind: TaskKind, output: string): string | null {
  const text = stripReasoning(output);
  const key = TASK_KEYS[kind];
  let sawObject = false;
  for (const value of jsonValues(text, "{")) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) continue;
    sawObject = true;
    const found = validate(kind, valueFor(kind, value as Record<string, unknown>));
    if (found !== undefined) return JSON.stringify({ [key]: found });
  }
  // A bare array answers a list kind only when the output holds no JSON object at all.
  if (!sawObject && (kind === "tags" || kind === "follow_ups" || kind === "queries")) {
    for (const value of jsonValues(text, "[")) {
      const found = validate(kind, value);
      if (found !== undefined) return JSON.stringify({ [key]: found });
    }
  }
  return null;
}

/**
 * The JSON text to send Open WebUI for a task the model ran: the model's answer when it has the
 * right shape, else `shortcutReply(kind, messages)`. Never throws.
 */
export function normaliseTaskReply(
  kind: TaskKind,
  modelOutput: string,
  messages: readonly ChatMessage[],
): string {
  try {
    const parsed = parseTaskOutput(kind, modelOutput);
    if (parsed !== null) return parsed;
  } catch {
    // Fall back below.
  }
  try {
    return shortcutReply(kind, messages);
  } catch {
    return STATIC_REPLIES[kind] ?? STATIC_REPLIES.autocomplete;
  }
}
