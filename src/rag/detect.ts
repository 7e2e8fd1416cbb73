/**
 * Detection and extraction of retrieved context (Open WebUI web search, documents) in a chat
 * request: where it is, which template wrapped it, the sources with their citation ids, the
 * user's own question, and the text around it that must survive when the context is dropped.
 *
 * Pure: no Deno APIs, no clock, no I/O. Imports only the ChatMessage type.
 *
 * Where it is looked for: the last user message first (Open WebUI's default: the template is
 * prepended to it), then the system messages ("RAG in system prompt": appended to the first).
 * Templates recognised:
 * - current: `<context>` with `<source id="N" name="…">chunk</source>` elements, `</context>`,
 *   then (user placement) the question;
 * - legacy (Open WebUI ≤ 0.5): `<context>` with `<source><source_id>N</source_id>
 *   <source_context>chunk</source_context></source>` elements, then `<user_query>…</user_query>`;
 * - plain: an admin template of just `{{CONTEXT}}` (a contiguous run of `<source>` elements,
 *   at the very start of a user message, anywhere in a system message), or a system message with
 *   a line ending in "reference information:" followed by text (the reference's third marker).
 *
 * The rule that keeps prose from being misdetected: only COMPLETE elements count (an opening
 * tag, a body without another `<source` opening, and `</source>`), and they must sit inside a
 * `<context>…</context>` pair, or form the plain `{{CONTEXT}}` block described above with at
 * least one element carrying an id. "What does the <source> tag do?" or an HTML `<source src>`
 * (a void element, never closed) is not RAG. Unlike the reference, user-placed RAG is detected,
 * and `<context>` alone (no sources) or a passing mention of "reference information" is not.
 */
import type { ChatMessage } from "../chat/messages.ts";

/** One retrieved chunk. */
export interface RagSource {
  /** The citation id Open WebUI expects back as `[id]` (several chunks may share one). */
  id: string;
  /** The source's name (URL or file name) when given. */
  name: string | null;
  text: string;
}

export type RagPlacement = "user" | "system";
export type RagTemplate = "current" | "legacy" | "plain";

export interface RagInput {
  placement: RagPlacement;
  /** Index in `messages` of the message that carries the context. */
  messageIndex: number;
  template: RagTemplate;
  /** Text around the context, minus Open WebUI's own `### Task:` boilerplate. */
  instructions: string;
  /** The user's own question. */
  question: string;
  sources: RagSource[];
  /** System placement: the system text with the RAG part removed (the admin's instructions). */
  rest: string;
}

interface RawSource {
  id: string | null;
  name: string | null;
  text: string;
  legacy: boolean;
}

interface Block {
  template: RagTemplate;
  sources: RawSource[];
  /** Text before the RAG region. */
  before: string;
  /** Text after the RAG region (without a legacy `<user_query>` element). */
  after: string;
  /** Content of the legacy `<user_query>` element, when present. */
  userQuery: string | null;
}

/**
 * Everything here scans by index or with regexes that cannot backtrack over unbounded text: a
 * request is untrusted input, and one quadratic pattern on a 700 KB system prompt blocked the
 * event loop for seconds.
 */
const OPEN = /<source[\s>]/gi;
const CLOSE = /<\/source>/gi;
/** An opening tag longer than this is not one of Open WebUI's (it would hold a whole page). */
const MAX_TAG = 2048;
// The lookbehind starts a name only at the start of a run, so a long run is tried once.
const ATTRIBUTE = /(?<![\w-])([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
const TASK_HEADING = /###\s*Task:/gi;
/** What tells Open WebUI's `### Task:` RAG boilerplate from a user's own task heading. */
const RAG_BOILERPLATE_HINT = /provided context|<source|source_id|citation/i;
const REFERENCE_PHRASE = /\breference information\b/i;

interface Element {
  start: number;
  end: number;
  source: RawSource;
}

/** Start offsets of every match of a global regex with a fixed-length literal pattern. */
function offsets(text: string, pattern: RegExp): number[] {
  const out: number[] = [];
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) out.push(m.index);
  return out;
}

/**
 * The first `<tag>…</tag>` in `text` (case-insensitive): the offsets of the element and the
 * content between the tags, or null. Two literal searches, so it is linear in the text.
 */
export function innerElement(
  text: string,
  tag: string,
): { start: number; end: number; content: string } | null {
  const open = new RegExp(`<${tag}>`, "i").exec(text);
  if (!open) return null;
  const close = new RegExp(`</${tag}>`, "gi");
  close.lastIndex = open.index + open[0].length;
  const end = close.exec(text);
  if (!end) return null;
  return {
    start: open.index,
    end: end.index + end[0].length,
    content: text.slice(open.index + open[0].length, end.index),
  };
}

function parseAttributes(tag: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of tag.matchAll(ATTRIBUTE)) {
    attrs.set(m[1].toLowerCase(), m[2] ?? m[3] ?? m[4] ?? "");
  }
  return attrs;
}

function toSource(tag: string, body: string): RawSource {
  const attrs = parseAttributes(tag);
  const legacyText = innerElement(body, "source_context");
  const id = (legacyText ? innerElement(body, "source_id")?.content : undefined) ??
    attrs.get("id");
  const name = attrs.get("name");
  return {
    id: id?.trim() || null,
    name: name?.trim() || null,
    text: (legacyText ? legacyText.content : body).trim(),
    legacy: legacyText !== null,
  };
}

/**
 * The complete `<source …>body</source>` elements of a text, in order. An opening tag ends at
 * the first `>` and holds no `<`; the body must not open another `<source` before its
 * `</source>` (so an unclosed or void `<source src>` is not an element). One pass over the
 * sorted offsets of openings and closings: linear in the text.
 */
export function parseElements(text: string): Element[] {
  const opens = offsets(text, OPEN);
  const closes = offsets(text, CLOSE);
  const out: Element[] = [];
  let c = 0;
  let gt = -2; // the next ">" at or after the current opening (-1: none left)
  let lt = -2; // the next "<" after the current opening (-1: none left)
  for (let k = 0; k < opens.length; k++) {
    const start = opens[k];
    if (gt !== -1 && gt < start) gt = text.indexOf(">", start);
    if (gt === -1) break;
    if (lt !== -1 && lt <= start) lt = text.indexOf("<", start + 1);
    if ((lt !== -1 && lt < gt) || gt - start > MAX_TAG) continue;
    while (c < closes.length && closes[c] < gt) c++;
    if (c === closes.length) break;
    const next = opens[k + 1] ?? Infinity;
    if (next < closes[c]) continue;
    const end = closes[c] + "</source>".length;
    out.push({
      start,
      end,
      source: toSource(text.slice(start + "<source".length, gt), text.slice(gt + 1, closes[c])),
    });
  }
  return out;
}

/** `<context>…</context>` holding at least one complete source element. */
function contextBlock(text: string): Block | null {
  const close = text.search(/<\/context>/i);
  if (close < 0) return null;
  const opens = offsets(text.slice(0, close), /<context>/gi);
  if (opens.length === 0) return null;
  const open = opens[opens.length - 1];
  const elements = parseElements(text.slice(open + "<context>".length, close));
  if (elements.length === 0) return null;
  let after = text.slice(close + "</context>".length);
  const query = innerElement(after, "user_query");
  if (query) after = after.slice(0, query.start) + after.slice(query.end);
  const sources = elements.map((e) => e.source);
  return {
    template: query || sources.some((s) => s.legacy) ? "legacy" : "current",
    sources,
    before: text.slice(0, open),
    after,
    userQuery: query ? query.content.trim() : null,
  };
}

/** The `{{CONTEXT}}`-only template: a contiguous run of elements, one of them with an id. */
function plainBlock(text: string, atStart: boolean): Block | null {
  const elements = parseElements(text);
  const runs: Element[][] = [];
  for (const e of elements) {
    const run = runs[runs.length - 1];
    const last = run?.[run.length - 1];
    if (last && text.slice(last.end, e.start).trim() === "") run.push(e);
    else runs.push([e]);
  }
  const candidates = atStart ? runs.slice(0, 1) : runs;
  const run = candidates.find((r) =>
    (!atStart || text.slice(0, r[0].start).trim() === "") &&
    r.some((e) => e.source.id !== null)
  );
  if (!run) return null;
  const sources = run.map((e) => e.source);
  return {
    template: sources.some((s) => s.legacy) ? "legacy" : "plain",
    sources,
    before: text.slice(0, run[0].start),
    after: text.slice(run[run.length - 1].end),
    userQuery: null,
  };
}

/**
 * The first line that mentions "reference information" and ends with a colon: its start and the
 * offset after the colon and its trailing blanks. Line by line, so linear.
 */
export function referenceHeader(text: string): { start: number; end: number } | null {
  for (let start = 0; start < text.length;) {
    let nl = text.indexOf("\n", start);
    if (nl < 0) nl = text.length;
    let end = nl;
    while (end > start && " \t\r".includes(text[end - 1])) end--;
    if (text[end - 1] === ":" && REFERENCE_PHRASE.test(text.slice(start, end))) {
      return { start, end: text[nl - 1] === "\r" ? nl - 1 : nl };
    }
    start = nl + 1;
  }
  return null;
}

/** A system message with a "… reference information:" line followed by the reference text. */
function referenceBlock(text: string): Block | null {
  const header = referenceHeader(text);
  if (!header) return null;
  const reference = text.slice(header.end).trim();
  if (reference === "") return null;
  return {
    template: "plain",
    sources: [{ id: null, name: null, text: reference, legacy: false }],
    before: text.slice(0, header.start),
    after: "",
    userQuery: null,
  };
}

function findBlock(text: string, placement: RagPlacement): Block | null {
  return contextBlock(text) ?? plainBlock(text, placement === "user") ??
    (placement === "system" ? referenceBlock(text) : null);
}

/** Drops Open WebUI's `### Task:` RAG boilerplate that ends the text before the context. */
function stripBoilerplate(before: string): string {
  const headings = [...before.matchAll(TASK_HEADING)];
  const last = headings[headings.length - 1];
  if (last && RAG_BOILERPLATE_HINT.test(before.slice(last.index))) {
    return before.slice(0, last.index).trim();
  }
  return before.trim();
}

/** Sources without an id get "1", "2", … in order, skipping numbers another source uses. */
function assignIds(raw: readonly RawSource[]): RagSource[] {
  const used = new Set(raw.flatMap((s) => s.id === null ? [] : [s.id]));
  let next = 1;
  return raw.map((s) => {
    let id = s.id;
    if (id === null) {
      while (used.has(String(next))) next++;
      id = String(next++);
    }
    return { id, name: s.name, text: s.text };
  });
}

function joinParts(...parts: string[]): string {
  return parts.map((p) => p.trim()).filter((p) => p !== "").join("\n\n");
}

/** The retrieved context of a chat request, or null when there is none. */
export function detectRag(messages: readonly ChatMessage[]): RagInput | null {
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  if (lastUser >= 0) {
    const block = findBlock(messages[lastUser].content, "user");
    if (block) {
      const trailing = block.after.trim();
      const question = block.userQuery || trailing;
      return {
        placement: "user",
        messageIndex: lastUser,
        template: block.template,
        instructions: joinParts(
          stripBoilerplate(block.before),
          trailing === question ? "" : trailing,
        ),
        question,
        sources: assignIds(block.sources),
        rest: "",
      };
    }
  }
  for (const [index, message] of messages.entries()) {
    if (message.role !== "system") continue;
    const block = findBlock(message.content, "system");
    if (!block) continue;
    const rest = joinParts(stripBoilerplate(block.before), block.after);
    return {
      placement: "system",
      messageIndex: index,
      template: block.template,
      instructions: rest,
      question: (lastUser >= 0 ? messages[lastUser].content.trim() : "") || block.userQuery || "",
      sources: assignIds(block.sources),
      rest,
    };
  }
  return null;
}
