/**
 * The RAG answer cache: a process-local LRU with a time-to-live, keyed by model, question and
 * the context actually shown to the model (reference A.10.9). Open WebUI regenerates and
 * re-asks the same question often; a RAG answer takes long on the NPU.
 *
 * Pure: no Deno APIs, no I/O; the clock is injected (`now`). Imports nothing.
 *
 * Deliberate difference from the reference: the key includes the cleaned context, so a new web
 * result for the same question misses instead of replaying an answer built on the old one
 * (A.18 quirk 8; the reference's HEAD compared the stored prompt on a hit to the same effect).
 */

export interface RagCacheOptions {
  /** Lifetime of an entry in milliseconds; ≤ 0 disables the cache. */
  ttlMs: number;
  /** Capacity; the least recently used entry is evicted beyond it. */
  maxEntries?: number;
  /** Milliseconds clock. */
  now: () => number;
}

interface Entry<T> {
  value: T;
  storedAt: number;
}

const DEFAULT_MAX_ENTRIES = 50;

export class RagCache<T = string> {
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** Insertion order = recency order: the first entry is the least recently used. */
  readonly #entries = new Map<string, Entry<T>>();

  constructor(opts: RagCacheOptions) {
    this.#ttlMs = opts.ttlMs;
    this.#maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#now = opts.now;
  }

  get enabled(): boolean {
    return this.#ttlMs > 0 && this.#maxEntries > 0;
  }

  /** Number of entries held (expired ones included until they are looked up). */
  get size(): number {
    return this.#entries.size;
  }

  /** The key of an answer: question case and whitespace do not matter, the context does. */
  key(model: string, question: string, cleanedContext: string): string {
    const q = question.trim().toLowerCase().replace(/\s+/g, " ");
    return JSON.stringify([model, q, cleanedContext]);
  }

  /** The stored answer, or undefined; an expired entry is removed, a hit becomes most recent. */
  get(key: string): T | undefined {
    if (!this.enabled) return undefined;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (this.#now() - entry.storedAt > this.#ttlMs) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores (or refreshes) an answer as most recent, evicting the oldest beyond capacity. */
  set(key: string, value: T): void {
    if (!this.enabled) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, storedAt: this.#now() });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
