/**
 * OpenAI `stop` sequences applied to the visible content stream: finds the first stop sequence
 * across piece boundaries and emits only the text before it.
 *
 * Pure: imports nothing from src/, makes no Deno.* calls and reads no clock.
 *
 * Rules:
 * - Only the longest suffix that is a prefix of some stop sequence is held back; everything else
 *   is emitted at once. A match cannot start in text already emitted (that text would have been
 *   part of a longer held suffix), so searching held + new text is enough, and because the whole
 *   of that is re-searched, repeated prefixes ("aab" in "aaab") are found.
 * - When several stops complete, the one whose match ends earliest wins (a stream cannot wait to
 *   see whether a longer one would also complete); among those, the one starting earliest.
 * - The stop text itself is never emitted. After a stop, push() returns nothing.
 * - Empty strings are ignored; with no stop sequences text passes through unbuffered.
 */
import { heldSuffixLength } from "../chat/held_suffix.ts";

export class StopMatcher {
  readonly #stops: readonly string[];
  #held = "";
  #stopped = false;

  constructor(stops: readonly string[]) {
    this.#stops = [...new Set(stops.filter((s) => s !== ""))];
  }

  /**
   * Returns the text safe to emit now; once a stop sequence is complete, `stopped` is true and
   * `text` ends right before it (the stop text itself is never emitted).
   */
  push(text: string): { text: string; stopped: boolean } {
    if (this.#stopped) return { text: "", stopped: true };
    if (this.#stops.length === 0) return { text, stopped: false };
    const buf = this.#held + text;
    let start = -1;
    let end = Infinity;
    for (const stop of this.#stops) {
      // The first occurrence of a stop is also its earliest-ending one.
      const i = buf.indexOf(stop);
      if (i < 0) continue;
      const e = i + stop.length;
      if (e < end || (e === end && i < start)) {
        start = i;
        end = e;
      }
    }
    if (start >= 0) {
      this.#held = "";
      this.#stopped = true;
      return { text: buf.slice(0, start), stopped: true };
    }
    const keep = heldSuffixLength(buf, this.#stops);
    this.#held = buf.slice(buf.length - keep);
    return { text: buf.slice(0, buf.length - keep), stopped: false };
  }

  /** End of stream without a stop: emit what was held back. */
  flush(): string {
    const rest = this.#stopped ? "" : this.#held;
    this.#held = "";
    return rest;
  }
}
