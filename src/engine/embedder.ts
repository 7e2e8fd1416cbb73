/**
 * Embeddings on the NPU: each input runs in the runtime's hidden-state mode (keep_history=0, no
 * generation) under one lease, and the last token's hidden state becomes a unit vector. Any
 * model serves, chat or embedding-only.
 *
 * Knows nothing of HTTP or FFI.
 */
import {
  ContextLengthError,
  GenerationError,
  GenerationTimeoutError,
  ModelNotFoundError,
} from "../errors.ts";
import type { ModelRegistry } from "../models/registry.ts";
import type { EngineParts } from "./admin.ts";
import { normalizeEmbedding } from "./embedding.ts";
import { stripNul } from "./plan.ts";
import { estimateTokens } from "./prompt.ts";
import { ReloadNeeded } from "./session.ts";
import type { EmbeddingResult } from "./types.ts";

export class Embedder {
  readonly #registry: ModelRegistry;
  readonly #parts: EngineParts;
  /** The whole request's limit (the generation timeout): inputs run one after the other. */
  readonly #timeoutMs: number;

  constructor(registry: ModelRegistry, parts: EngineParts, timeoutMs: number) {
    this.#registry = registry;
    this.#parts = parts;
    this.#timeoutMs = timeoutMs;
  }

  async embed(
    name: string,
    inputs: readonly string[],
    opts: { dimensions?: number; signal?: AbortSignal } = {},
  ): Promise<EmbeddingResult> {
    // Embedding models are hidden from chat (skip_chat) but serve here.
    const entry = this.#registry.resolve(name);
    if (!entry) throw new ModelNotFoundError(name, this.#registry.ids());
    inputs.forEach((text, i) => {
      const tokens = estimateTokens(text);
      if (tokens > entry.contextLength) {
        throw new ContextLengthError(
          `input[${i}] needs about ${tokens} tokens; ${entry.id} takes ${entry.contextLength}.`,
        );
      }
    });
    const texts = inputs.map(stripNul);
    const lease = await this.#parts.admin.acquire(opts.signal);
    try {
      let loaded = await this.#parts.admin.load(lease, entry);
      try {
        await this.#parts.sessions.of(loaded.npu, entry).prepareSideRun();
      } catch (err) {
        if (!(err instanceof ReloadNeeded)) throw err;
        loaded = await this.#parts.admin.reload(lease, entry, "a runtime call was refused");
      }
      const vectors: Float32Array[] = [];
      let promptTokens = 0;
      const deadline = Date.now() + this.#timeoutMs;
      let timedOut = false;
      for (const text of texts) {
        opts.signal?.throwIfAborted();
        const run = loaded.npu.run({
          prompt: text,
          role: "user",
          enableThinking: false,
          keepHistory: false,
          mode: "hidden",
        });
        lease.onInterrupt = () => run.abort();
        const timer = setTimeout(() => {
          timedOut = true;
          run.abort();
        }, Math.max(0, deadline - Date.now()));
        let hidden: { vector: Float32Array; tokens: number } | null = null;
        let failure = "";
        for await (const event of run.events) {
          if (event.type === "hidden") hidden = event;
          else if (event.type === "error") failure = event.message;
          else if (event.type === "aborted") failure = "the run was interrupted";
        }
        await run.settled;
        clearTimeout(timer);
        if (timedOut) {
          throw new GenerationTimeoutError(
            `Embedding ${texts.length} input(s) exceeded ${this.#timeoutMs / 1000}s; stopped.`,
          );
        }
        if (!hidden) {
          throw new GenerationError(
            `No embedding from ${entry.id}: ${failure || "the runtime returned no hidden state"}.`,
          );
        }
        vectors.push(normalizeEmbedding(hidden.vector, opts.dimensions));
        promptTokens += hidden.tokens;
      }
      this.#parts.log.info("engine", "embedded", {
        model: entry.id,
        inputs: inputs.length,
        tokens: promptTokens,
      });
      return { model: entry.id, vectors, promptTokens };
    } finally {
      lease.release();
    }
  }
}
