/**
 * NPU administration: leases from the scheduler, loading a model with the server's settings
 * (failures become a ModelLoadError naming the model), and the select (warm-up) and unload
 * operations, which queue like any request.
 *
 * Knows nothing of HTTP or FFI.
 */
import { ModelLoadError, RuntimeWedgedError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ModelEntry } from "../models/registry.ts";
import type { VisionModel } from "../models/vision_model.ts";
import type { ModelLoadParams } from "../rkllm/npu.ts";
import type { EncoderLoad, Lease, LoadedModel, Scheduler } from "./scheduler.ts";
import type { ModelSessions } from "./session.ts";

/** Load settings that are the server's, not the model's. */
export interface LoadSettings {
  cpuMask: number;
  baseDomainId: number;
  embedFlash: boolean;
  /** NPU cores for vision encoders (rknn core mask; 0 = the runtime's choice). */
  visionCoreMask?: number;
}

/** What the runner and the embedder share: the NPU, the sessions of its models, the log. */
export interface EngineParts {
  admin: NpuAdmin;
  sessions: ModelSessions;
  log: Logger;
}

export class NpuAdmin {
  readonly #scheduler: Scheduler;
  readonly #settings: LoadSettings;
  readonly #onLoadFailed: (() => Promise<unknown>) | undefined;

  /**
   * `onLoadFailed` runs after a failed load (the serve wiring rescans the models folder there, so
   * a model whose file moved or vanished is listed as it now is).
   */
  constructor(
    scheduler: Scheduler,
    settings: LoadSettings,
    onLoadFailed?: () => Promise<unknown>,
  ) {
    this.#scheduler = scheduler;
    this.#settings = settings;
    this.#onLoadFailed = onLoadFailed;
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
    const { cpuMask, baseDomainId, embedFlash } = this.#settings;
    const params: ModelLoadParams = {
      modelPath: entry.path,
      contextLength: entry.contextLength,
      maxNewTokens: entry.maxNewTokens,
      sampling: entry.sampling,
      cpuMask,
      baseDomainId,
      embedFlash,
    };
    const v = entry.vision;
    // Runtimes that read the image markers at init (1.2.3) must get them here.
    if (v) params.imageTags = { start: v.imageStart, end: v.imageEnd, content: v.imageContent };
    return params;
  }

  #encoderLoad(v: VisionModel): EncoderLoad {
    const opts: EncoderLoad["opts"] = { coreMask: this.#settings.visionCoreMask ?? 0 };
    if (v.imageTokens !== undefined) opts.imageTokens = v.imageTokens;
    if (v.imageSize !== undefined) opts.imageSize = v.imageSize;
    return { path: v.encoderPath, opts };
  }

  /** Loads `entry` (with its image encoder) under `lease` unless it is the loaded model. */
  async load(lease: Lease, entry: ModelEntry): Promise<LoadedModel> {
    const vision = entry.vision;
    try {
      return await lease.ensureLoaded(
        entry.id,
        () => this.#loadParams(entry),
        vision && (() => this.#encoderLoad(vision)),
      );
    } catch (err) {
      await this.#onLoadFailed?.().catch(() => {});
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
