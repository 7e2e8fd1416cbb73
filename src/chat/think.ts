/**
 * Splits model output into reasoning (`<think>…</think>`) and visible content: a streaming
 * splitter for token pieces, a whole-output parser for non-streaming replies, and the stripper
 * used on assistant history before it is sent back to the model.
 *
 * Pure: imports only held_suffix.ts, makes no Deno.* calls and reads no clock.
 *
 * Streaming rules (ThinkSplitter), and where they differ from the Python server this project replaces:
 * - Tags may be split across pieces anywhere. Only the longest suffix that could still become a
 *   tag being looked for is held back; everything else is emitted at once, so visible text is
 *   never delayed by more than a tag's length.
 * - Content state: `<think>` switches to reasoning, text before it is content. Reasoning state:
 *   `</think>` switches back, text before it is reasoning. A later `<think>` block is handled the
 *   same way as the first; a `<think>` inside reasoning is ordinary reasoning text.
 * - Leading whitespace of every reasoning segment is dropped, across piece boundaries (the
 *   reference dropped one `\n` only when it was already buffered next to the tag).
 * - Leading whitespace of the content after `</think>` is dropped across piece boundaries too, as
 *   long as no visible (non-whitespace) content has been emitted yet. Differs from the reference,
 *   which dropped one buffered `\n`. Once the answer has started, whitespace after a later block
 *   separates two parts of the answer and is kept, so words are not glued together.
 * - Content at the very start of output keeps its whitespace.
 * - Whitespace-only reasoning pieces are never emitted, but reasoning whitespace is not lost
 *   either: trailing whitespace is carried and emitted in front of the next non-whitespace
 *   reasoning text (the reference silently dropped a "\n\n" token arriving on its own, gluing
 *   lines together). Whitespace before `</think>` or at the end of the stream is dropped, so a
 *   reasoning segment is emitted trimmed. Only whitespace is ever carried, so nothing visible is
 *   delayed.
 * - Empty pieces are never emitted; adjacent pieces of one kind returned by one push() are merged.
 * - `implicitOpen`: output is reasoning from the start (the chat template opened `<think>`
 *   itself, e.g. Qwen3 thinking-2507). If the first non-whitespace text is `<think>` (Qwen3 hybrid
 *   models emit it themselves) the tag is consumed silently. The reference treated text before a
 *   leading `</think>` as content.
 * - Without `implicitOpen`, a `</think>` in content state before any `<think>` (a stray closing
 *   tag) is dropped rather than emitted as content (the reference emitted it). What came before
 *   it was already sent as content; a stream cannot take text back.
 * - flush() emits whatever was held back as the current kind: a partial tag such as `<thi` at the
 *   end of the stream is ordinary text.
 *
 * Non-streaming (splitThinking) is the one-piece streaming result joined per kind, except:
 * - with `implicitOpen` and no `</think>` anywhere, the model did not think implicitly after all:
 *   the output is parsed as if `implicitOpen` were off (plain text is content, an explicit
 *   unclosed `<think>` still opens reasoning);
 * - without `implicitOpen`, text before a leading stray `</think>` (no `<think>` before it) is
 *   reasoning, as if `implicitOpen` were on;
 * - the reasoning of several blocks is trimmed per block and joined with "\n"; both results are
 *   trimmed. (The reference left an unclosed `<think>` in content; here it is reasoning, like the
 *   stream.)
 */
import { heldSuffixLength } from "./held_suffix.ts";

const OPEN = "<think>";
const CLOSE = "</think>";

export type ThinkPiece = { kind: "reasoning" | "content"; text: string };

export interface ThinkOptions {
  /**
   * The model may already be inside a think block when output starts (thinking-capable model
   * with thinking enabled; e.g. Qwen3 "thinking-2507" whose chat template opens <think> itself,
   * so only </think> is emitted).
   */
  implicitOpen?: boolean;
}

type Kind = ThinkPiece["kind"];

/** A piece tagged with the think block it came from, so blocks can be joined with "\n". */
type BlockPiece = ThinkPiece & { block: number };

/** The state machine shared by ThinkSplitter and splitThinking(). */
class ThinkScanner {
  #kind: Kind;
  /** A suffix of the input that may still become a tag. */
  #held = "";
  /** Reasoning whitespace waiting for non-whitespace text (or to be dropped at a tag/end). */
  #carried = "";
  /** Dropping leading whitespace of the current reasoning segment / of content after a block. */
  #trimPending: boolean;
  /** implicitOpen, and no non-whitespace text yet: a leading `<think>` is consumed silently. */
  #awaitLeadingOpen: boolean;
  /** No `<think>` seen and not implicitOpen: a `</think>` in content is stray and dropped. */
  #dropStrayClose: boolean;
  /** Some non-whitespace content has been emitted: whitespace after a later block is kept. */
  #contentVisible = false;
  #block = 0;
  #out: BlockPiece[] = [];

  constructor(opts: ThinkOptions) {
    const implicit = opts.implicitOpen === true;
    this.#kind = implicit ? "reasoning" : "content";
    this.#trimPending = implicit;
    this.#awaitLeadingOpen = implicit;
    this.#dropStrayClose = !implicit;
  }

  push(text: string): BlockPiece[] {
    let buf = this.#held + text;
    this.#held = "";
    if (this.#awaitLeadingOpen) {
      // Whitespace here starts a reasoning segment, so it would be dropped anyway.
      buf = buf.trimStart();
      if (buf === "") return this.#take();
      if (buf.startsWith(OPEN)) {
        buf = buf.slice(OPEN.length);
        this.#awaitLeadingOpen = false;
      } else if (OPEN.startsWith(buf)) {
        this.#held = buf;
        return this.#take();
      } else {
        this.#awaitLeadingOpen = false;
      }
    }
    for (;;) {
      const tags = this.#tags();
      let at = -1;
      let tag = "";
      for (const t of tags) {
        const i = buf.indexOf(t);
        if (i >= 0 && (at < 0 || i < at)) {
          at = i;
          tag = t;
        }
      }
      if (at < 0) {
        const keep = heldSuffixLength(buf, tags);
        this.#emit(buf.slice(0, buf.length - keep));
        this.#held = buf.slice(buf.length - keep);
        return this.#take();
      }
      this.#emit(buf.slice(0, at));
      buf = buf.slice(at + tag.length);
      this.#onTag(tag);
    }
  }

  flush(): BlockPiece[] {
    const rest = this.#held;
    this.#held = "";
    this.#awaitLeadingOpen = false;
    this.#emit(rest);
    // Trailing reasoning whitespace at the end of the stream is dropped.
    this.#carried = "";
    return this.#take();
  }

  #tags(): readonly string[] {
    if (this.#kind === "reasoning") return [CLOSE];
    return this.#dropStrayClose ? [OPEN, CLOSE] : [OPEN];
  }

  #onTag(tag: string): void {
    if (tag === OPEN) {
      this.#kind = "reasoning";
      this.#trimPending = true;
      this.#carried = "";
      this.#dropStrayClose = false;
      this.#block++;
      return;
    }
    // `</think>`: the end of a block, or a stray one (dropped) that ends an unseen block.
    this.#kind = "content";
    this.#carried = "";
    this.#trimPending = !this.#contentVisible;
  }

  #emit(text: string): void {
    if (text === "") return;
    if (this.#trimPending) {
      text = text.trimStart();
      if (text === "") return;
      this.#trimPending = false;
    }
    if (this.#kind === "reasoning") {
      const all = this.#carried + text;
      const body = all.trimEnd();
      this.#carried = all.slice(body.length);
      if (body !== "") this.#out.push({ kind: "reasoning", text: body, block: this.#block });
      return;
    }
    if (text.trim() !== "") this.#contentVisible = true;
    this.#out.push({ kind: "content", text, block: this.#block });
  }

  #take(): BlockPiece[] {
    const out = this.#out;
    this.#out = [];
    return out;
  }
}

/** Streaming splitter: push() each decoded piece of model output, then flush() at the end. */
export class ThinkSplitter {
  readonly #scanner: ThinkScanner;

  constructor(opts: ThinkOptions = {}) {
    this.#scanner = new ThinkScanner(opts);
  }

  /** Pieces that are safe to emit now; a possible partial tag is held back. */
  push(text: string): ThinkPiece[] {
    return merge(this.#scanner.push(text));
  }

  /** End of stream: whatever was held back, as the current kind. */
  flush(): ThinkPiece[] {
    return merge(this.#scanner.flush());
  }
}

function merge(pieces: readonly BlockPiece[]): ThinkPiece[] {
  const out: BlockPiece[] = [];
  for (const p of pieces) {
    const last = out.at(-1);
    // Two reasoning blocks with nothing visible between them stay separate pieces.
    if (last !== undefined && last.kind === p.kind && last.block === p.block) {
      last.text += p.text;
    } else {
      out.push({ ...p });
    }
  }
  return out.map(({ kind, text }) => ({ kind, text }));
}

/** Non-streaming parse of a whole output (see the module comment for how it improves on the stream). */
export function splitThinking(
  full: string,
  opts: ThinkOptions = {},
): { reasoning: string; content: string } {
  // With the whole output at hand, whether the model was inside a think block from the start
  // can be decided from the text instead of guessed.
  const implicitOpen = opts.implicitOpen === true
    ? full.includes(CLOSE)
    : startsWithStrayClose(full);
  const scanner = new ThinkScanner({ implicitOpen });
  const blocks = new Map<number, string>();
  let content = "";
  for (const p of [...scanner.push(full), ...scanner.flush()]) {
    if (p.kind === "content") content += p.text;
    else blocks.set(p.block, (blocks.get(p.block) ?? "") + p.text);
  }
  const reasoning = [...blocks.values()].map((r) => r.trim()).filter((r) => r !== "").join("\n");
  return { reasoning, content: content.trim() };
}

/** A `</think>` occurs before any `<think>`. */
function startsWithStrayClose(text: string): boolean {
  const close = text.indexOf(CLOSE);
  if (close < 0) return false;
  const open = text.indexOf(OPEN);
  return open < 0 || close < open;
}

/**
 * For assistant history re-sent to the model: removes `<think>…</think>` blocks, an unclosed
 * trailing `<think>…`, and text before a leading stray `</think>`; trims.
 */
export function stripThinkBlocks(text: string): string {
  return splitThinking(text).content;
}
