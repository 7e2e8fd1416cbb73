/**
 * NPU administration: leases from the scheduler, loading a model with the server's settings
 * (failures become a ModelLoadError naming the model), and the select (warm-up) and unload
 * operations, which queue like any request.
 *
 * Knows nothing of HTTP or FFI.
 */
import { ModelLoadError, RuntimeWedgedError } from "../errors.ts";
import type { ModelEntry } from "../models/registry.ts";
import type { ModelLoadParams } from "../rkllm/npu.ts";
import type { Lease, LoadedModel, Scheduler } from "./scheduler.ts";

/** Load settings that are the server's, not the model's. */
export interface LoadSettings {
  cpuMask: number;
  baseDomainId: number;
  embedFlash: boolean;
}

export class NpuAdmin {
  readonly #scheduler: Scheduler;
  readonly #settings: LoadSettings;

  constructor(scheduler: Scheduler, settings: LoadSettings) {
    this.#scheduler = scheduler;
    this.#settings = settings;
  }

  acquire(signal?: AbortSignal): Promise<Lease> {
    return this.#scheduler.acquire(signal);
  }

  /** A native call never returned: refuse all NPU work from now on. */
  markWedged(err: Error): void {
    this.#scheduler.markWedged(
      err instanceof RuntimeWedgedError ? err : new RuntimeWedgedError(err.message),
    );
  }

  #loadParams(entry: ModelEntry): ModelLoadParams {
    return {
      modelPath: entry.path,
      contextLength: entry.contextLength,
      maxNewTokens: entry.maxNewTokens,
      sampling: entry.sampling,
      ...this.#settings,
    };
  }

  /** Loads `entry` under `lease` unless it is the loaded model. */
  async load(lease: Lease, entry: ModelEntry): Promise<LoadedModel> {
    try {
      return await lease.ensureLoaded(entry.id, () => this.#loadParams(entry));
    } catch (err) {
      throw new ModelLoadError(entry.id, (err as Error).message, err);
    }
  }

  /** Unloads and loads `entry` again: the runtime back in a clean state. */
  async reload(lease: Lease, entry: ModelEntry, reason: string): Promise<LoadedModel> {
    await lease.unload(reason);
    return await this.load(lease, entry);
  }

  /** Pre-loads a model (warm-up) through the queue, like a chat request would. */
  async select(entry: ModelEntry, signal?: AbortSignal): Promise<string> {
    const lease = await this.acquire(signal);
    try {
      await this.load(lease, entry);
      return entry.id;
    } finally {
      lease.release();
    }
  }

  async unload(signal?: AbortSignal): Promise<string | null> {
    const lease = await this.acquire(signal);
    try {
      return await lease.unload("requested");
    } finally {
      lease.release();
    }
  }
}
