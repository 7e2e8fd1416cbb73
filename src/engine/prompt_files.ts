/**
 * Saved KV caches on disk (the runtime's prompt-cache files), one per conversation state, so a
 * chat the user returns to (another chat ran in between, a regenerate, a background task)
 * resumes from its file instead of re-reading the whole history. A bounded LRU: the least
 * recently used files are deleted once the folder holds more than its limit. Files are this
 * process's own: the folder is emptied of them at start, since nothing says what they hold.
 *
 * Effects (files) live here; the session decides when to save and load.
 */
import { join } from "node:path";
import { type CachedConversation, decideKv, sameConversation } from "./kv_cache.ts";

export interface PromptFile {
  path: string;
  model: string;
  /** The conversation the cache held when it was saved. */
  conversation: CachedConversation;
  /** Positions in the saved cache, to check a load. */
  positions: number;
  bytes: number;
}

const SUFFIX = ".rkllm-kv";

export class PromptFileStore {
  readonly #dir: string;
  readonly #maxBytes: number;
  /** Least recently used first. */
  #files: PromptFile[] = [];
  #serial = 0;

  private constructor(dir: string, maxBytes: number) {
    this.#dir = dir;
    this.#maxBytes = maxBytes;
  }

  /** Creates the folder and removes files an earlier process left. */
  static async open(dir: string, maxBytes: number): Promise<PromptFileStore> {
    await Deno.mkdir(dir, { recursive: true });
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(SUFFIX)) await Deno.remove(join(dir, e.name));
    }
    return new PromptFileStore(dir, maxBytes);
  }

  /** A fresh path for a run to save its cache to. */
  newPath(): string {
    return join(this.#dir, `${Date.now().toString(36)}-${++this.#serial}${SUFFIX}`);
  }

  /** Registers a file the runtime wrote; evicts beyond the limit. */
  async add(file: Omit<PromptFile, "bytes">): Promise<void> {
    let bytes: number;
    try {
      bytes = (await Deno.stat(file.path)).size;
    } catch {
      return; // the runtime did not write it
    }
    this.#files.push({ ...file, bytes });
    let total = this.#files.reduce((n, f) => n + f.bytes, 0);
    while (total > this.#maxBytes && this.#files.length) {
      const old = this.#files.shift()!;
      total -= old.bytes;
      await this.discard(old.path);
    }
  }

  /**
   * The most recent saved state of `model` that `request` continues by one turn (the state the
   * request's history ends in), marked as used; undefined when none.
   */
  continuedBy(model: string, request: CachedConversation): PromptFile | undefined {
    return this.#use(model, (c) => decideKv(c, request).mode === "incremental");
  }

  /** The saved state of exactly `conversation`, marked as used; undefined when none. */
  exact(model: string, conversation: CachedConversation): PromptFile | undefined {
    return this.#use(model, (c) => sameConversation(c, conversation));
  }

  #use(model: string, matches: (c: CachedConversation) => boolean): PromptFile | undefined {
    for (let i = this.#files.length - 1; i >= 0; i--) {
      const f = this.#files[i];
      if (f.model !== model || !matches(f.conversation)) continue;
      this.#files.splice(i, 1);
      this.#files.push(f);
      return f;
    }
    return undefined;
  }

  /** Forgets and deletes a file (unreadable, refused, or evicted). */
  async discard(path: string): Promise<void> {
    this.#files = this.#files.filter((f) => f.path !== path);
    await Deno.remove(path).catch(() => {});
  }

  /** Files held, for /health and tests. */
  get size(): number {
    return this.#files.length;
  }
}
