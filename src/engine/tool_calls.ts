/**
 * Tool calls in model output. Models converted with function calling (Qwen style) answer with
 * `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks inside their text. The streaming
 * parser passes ordinary text through at once (holding back only what could still become the
 * opening tag), buffers a block until it closes, and turns it into a call; a block that is not a
 * valid call stays text. `serializeToolCalls` is the one canonical text form of calls, used to
 * compare an assistant turn the client sends back with the one this server produced.
 * Pure: the id generator is injected.
 */
import { heldSuffixLength } from "../chat/held_suffix.ts";
import type { ToolCall } from "../chat/messages.ts";
import { jsonObjectEnd } from "../tasks/json_end.ts";

const OPEN = "<tool_call>";
const CLOSE = "</tool_call>";

export type ToolPiece = { kind: "content"; text: string } | { kind: "call"; call: ToolCall };

/** `{"name": "f", "arguments": {...} | "..."}` → a call, or null when it is not one. */
export function parseToolCall(body: string, id: string): ToolCall | null {
  let value: unknown;
  try {
    value = JSON.parse(body.trim());
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { name, arguments: args, parameters } = value as Record<string, unknown>;
  if (typeof name !== "string" || !name) return null;
  const raw = args ?? parameters ?? {};
  const text = typeof raw === "string" ? raw : JSON.stringify(raw);
  return { id, name, arguments: text };
}

export class ToolCallParser {
  #buffer = "";
  #inside = false;
  #newId: () => string;
  /** Inside a block: the watcher of its JSON object, what of the buffer it has read, and where
   * the object ended (-1 while open). The buffer only grows inside a block, so each token is
   * read once. */
  #objectEnd = jsonObjectEnd();
  #read = 0;
  #endedAt = -1;
  /** Inside a block: what of the buffer was searched for the closing tag. */
  #searched = 0;

  constructor(newId: () => string) {
    this.#newId = newId;
  }

  push(text: string): ToolPiece[] {
    this.#buffer += text;
    const out: ToolPiece[] = [];
    while (true) {
      if (!this.#inside) {
        const at = this.#buffer.indexOf(OPEN);
        if (at === -1) {
          const keep = heldSuffixLength(this.#buffer, [OPEN]);
          const emit = this.#buffer.slice(0, this.#buffer.length - keep);
          if (emit) out.push({ kind: "content", text: emit });
          this.#buffer = this.#buffer.slice(this.#buffer.length - keep);
          return out;
        }
        if (at > 0) out.push({ kind: "content", text: this.#buffer.slice(0, at) });
        this.#buffer = this.#buffer.slice(at + OPEN.length);
        this.#inside = true;
        this.#objectEnd = jsonObjectEnd();
        this.#read = 0;
        this.#endedAt = -1;
        this.#searched = 0;
      }
      const end = this.#buffer.indexOf(CLOSE, Math.max(0, this.#searched - CLOSE.length + 1));
      this.#searched = this.#buffer.length;
      if (end === -1) {
        // Text that can no longer become a call goes out now rather than at the end.
        if (this.#cannotBeCall()) {
          out.push({ kind: "content", text: OPEN + this.#buffer });
          this.#buffer = "";
          this.#inside = false;
        }
        return out;
      }
      const body = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + CLOSE.length);
      this.#inside = false;
      const call = parseToolCall(body, this.#newId());
      out.push(call ? { kind: "call", call } : { kind: "content", text: OPEN + body + CLOSE });
    }
  }

  /**
   * Inside a block: a call is one JSON object, then the closing tag. Anything else in first
   * place, or after the object, means this block is text.
   */
  #cannotBeCall(): boolean {
    const first = this.#buffer.search(/\S/);
    if (first === -1) return false;
    if (this.#buffer[first] !== "{") return true;
    if (this.#endedAt === -1) {
      const end = this.#objectEnd(this.#buffer.slice(this.#read));
      if (end !== -1) this.#endedAt = this.#read + end;
      this.#read = this.#buffer.length;
      if (this.#endedAt === -1) return false;
    }
    const after = this.#buffer.slice(this.#endedAt).trimStart();
    return after !== "" && !CLOSE.startsWith(after.slice(0, CLOSE.length));
  }

  /** End of output: an unclosed block is tried as a call (models stop at EOS), else text. */
  flush(): ToolPiece[] {
    const rest = this.#buffer;
    this.#buffer = "";
    if (!this.#inside) return rest ? [{ kind: "content", text: rest }] : [];
    this.#inside = false;
    const call = parseToolCall(rest, this.#newId());
    return call ? [{ kind: "call", call }] : [{ kind: "content", text: OPEN + rest }];
  }
}

/** Arguments re-serialised without whitespace when they are JSON, so equal calls compare equal. */
function canonicalArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

export function serializeToolCalls(calls: readonly ToolCall[]): string {
  return calls.map((c) =>
    `${OPEN}{"name":${JSON.stringify(c.name)},"arguments":${
      canonicalArguments(c.arguments)
    }}${CLOSE}`
  ).join("\n");
}
