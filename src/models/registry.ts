/**
 * The discovered models (`ModelEntry`) and the lookup table built from them: registry order,
 * exact ids, aliases and name resolution for requests. A rescan of the models folder replaces
 * the entries in place (`replace()`), so everything holding the registry sees the new list; a
 * model the runtime has loaded is not affected (the registry only describes files).
 *
 * Pure: no `Deno.*`. Imports only from src/models (aliases, sampling types); the HTTP layer decides
 * what to show (e.g. `skipChat`), the registry hides nothing.
 */

import { buildAliases, resolveModelName } from "./aliases.ts";
import type { SamplingParams } from "./sampling.ts";
import type { VisionModel } from "./vision_model.ts";

/** One servable model, as found on disk and adjusted by its folder's `model_config.json`. */
export interface ModelEntry {
  /** Canonical id: folder (or root-level file) name, lower-cased, spaces and `_` → `-`. */
  id: string;
  /** Absolute path of the `.rkllm` file, through any symlinked folders as walked. */
  path: string;
  /** Absolute directory holding the file (the models root for root-level files). */
  dir: string;
  fileName: string;
  sizeBytes: number;
  contextLength: number;
  maxNewTokens: number;
  capabilities: string[];
  /** The chat template opens `<think>` itself; output starts inside the reasoning block. */
  thinkPrefilled: boolean;
  sampling: SamplingParams;
  disableTools: boolean;
  /** Embedding/reranker models: listed to operators, refused for chat by the HTTP layer. */
  skipChat: boolean;
  /** Problems with this model's `model_config.json` (also reported by the scan). */
  configWarnings?: string[];
  /** Set for a vision-language model (its folder holds an `.rknn` image encoder). */
  vision?: VisionModel;
}

/** What a `replace()` changed, by id. `changed`: same id, another file, size or settings. */
export interface RegistryChange {
  added: string[];
  removed: string[];
  changed: string[];
}

export class ModelRegistry {
  #entries: ModelEntry[] = [];
  #byId = new Map<string, ModelEntry>();
  #ids: string[] = [];
  #aliases = new Map<string, string>();

  /** Entries keep their order; a repeated id keeps the first entry (as discovery does). */
  constructor(entries: readonly ModelEntry[]) {
    this.replace(entries);
  }

  /**
   * Swaps in a new list of entries (a rescan), with the constructor's rules. Callers holding an
   * entry from before keep a valid object; lookups from now on see only the new list.
   */
  replace(entries: readonly ModelEntry[]): RegistryChange {
    const before = this.#byId;
    const byId = new Map<string, ModelEntry>();
    const list: ModelEntry[] = [];
    for (const entry of entries) {
      if (byId.has(entry.id)) continue;
      byId.set(entry.id, entry);
      list.push(entry);
    }
    this.#byId = byId;
    this.#entries = list;
    this.#ids = list.map((e) => e.id);
    this.#aliases = buildAliases(this.#ids);
    const change: RegistryChange = { added: [], removed: [], changed: [] };
    for (const entry of list) {
      const old = before.get(entry.id);
      if (old === undefined) change.added.push(entry.id);
      else if (JSON.stringify(old) !== JSON.stringify(entry)) change.changed.push(entry.id);
    }
    for (const id of before.keys()) if (!byId.has(id)) change.removed.push(id);
    return change;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Every model in registry order (the `/v1/models` order). */
  list(): ModelEntry[] {
    return [...this.#entries];
  }

  /** Exact canonical id only; use `resolve()` for names sent by clients. */
  get(id: string): ModelEntry | undefined {
    return this.#byId.get(id);
  }

  /** A client-supplied name (any case, surrounding spaces, id or alias) → its model. */
  resolve(name: string): ModelEntry | undefined {
    const id = resolveModelName(name, this.#ids, this.#aliases);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  ids(): string[] {
    return [...this.#ids];
  }

  /** Alias → id, shortest alias first. */
  aliases(): Map<string, string> {
    return new Map(this.#aliases);
  }

  /** Aliases that resolve to `id`, sorted. */
  aliasesOf(id: string): string[] {
    const out: string[] = [];
    for (const [alias, target] of this.#aliases) if (target === id) out.push(alias);
    return out.sort();
  }
}
