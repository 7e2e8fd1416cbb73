/**
 * The one owner of the NPU. Work takes a lease in FIFO order (bounded depth and wait, else a
 * 503); only the lease holder may load, switch, unload or run a model, so two runs never
 * overlap and a model switch always waits for the running generation. A lease is released only
 * after the holder's native calls have settled. Idle models are unloaded after a setting.
 * Knows nothing of HTTP or FFI: it drives an `NpuBackend`.
 */
import { RuntimeWedgedError, ServerBusyError, ShuttingDownError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type {
  ModelLoadParams,
  NpuBackend,
  NpuModel,
  VisionEncoder,
  VisionEncoderOptions,
} from "../rkllm/npu.ts";
import type { EngineObserver } from "./types.ts";

export interface SchedulerOptions {
  queueDepth: number;
  /** 0 = wait without limit. */
  queueTimeoutMs: number;
  /** 0 disables idle unloading. */
  idleUnloadMs: number;
  /** Milliseconds clock for the wait estimate (tests inject one). */
  now?: () => number;
}

/** A model on the NPU; what its cache holds is its session's business (session.ts). */
export interface LoadedModel {
  readonly id: string;
  readonly npu: NpuModel;
  /** A vision model's image encoder: loaded, unloaded and freed with `npu`. */
  readonly vision?: VisionEncoder;
}

/** A vision model's image encoder, to load next to its language model. */
export interface EncoderLoad {
  path: string;
  opts: VisionEncoderOptions;
}

export interface SchedulerStatus {
  loadedModel: string | null;
  loadingModel: string | null;
  busy: boolean;
  queued: number;
  /** Why the NPU can no longer be used (a run that never returned); absent while healthy. */
  wedged?: string;
}

interface Waiter {
  grant: (lease: Lease) => void;
  fail: (err: Error) => void;
}

export class Lease {
  #scheduler: Scheduler;
  #released = false;
  #onReleased = Promise.withResolvers<void>();
  /** Called if the scheduler must take the NPU back (shutdown). */
  onInterrupt: (() => void) | null = null;

  constructor(scheduler: Scheduler) {
    this.#scheduler = scheduler;
  }

  get released(): boolean {
    return this.#released;
  }

  /** Settles when the holder releases the lease. */
  whenReleased(): Promise<void> {
    return this.#onReleased.promise;
  }

  /**
   * Loads `id` (and its image encoder, for a vision model) unless it is already loaded,
   * unloading any other model first.
   */
  ensureLoaded(
    id: string,
    params: () => ModelLoadParams,
    encoder?: () => EncoderLoad,
  ): Promise<LoadedModel> {
    this.#check();
    return this.#scheduler.loadFor(this, id, params, encoder);
  }

  /** Unloads the current model; returns its id, or null when none was loaded. */
  unload(reason: string): Promise<string | null> {
    this.#check();
    return this.#scheduler.unloadFor(this, reason);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#scheduler.releaseFor(this);
    this.#onReleased.resolve();
  }

  #check(): void {
    if (this.#released) throw new Error("lease already released");
  }
}

export class Scheduler {
  #backend: NpuBackend;
  #opts: SchedulerOptions;
  #log: Logger;
  #queue: Waiter[] = [];
  #holder: Lease | null = null;
  #loaded: LoadedModel | null = null;
  #loading: string | null = null;
  #idleTimer: ReturnType<typeof setTimeout> | null = null;
  /** When the armed idle timer fires (epoch ms). */
  #idleDeadline: number | null = null;
  #closing = false;
  #wedged: RuntimeWedgedError | null = null;
  /** When the current lease was granted, and the moving average of lease durations (ms). */
  #heldSince: number | null = null;
  #meanHoldMs: number | null = null;
  readonly #now: () => number;

  #observer: EngineObserver;

  constructor(
    backend: NpuBackend,
    opts: SchedulerOptions,
    log: Logger,
    observer: EngineObserver = {},
  ) {
    this.#backend = backend;
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#log = log;
    this.#observer = observer;
  }

  status(): SchedulerStatus {
    const status: SchedulerStatus = {
      loadedModel: this.#loaded?.id ?? null,
      loadingModel: this.#loading,
      busy: this.#holder !== null,
      queued: this.#queue.length,
    };
    if (this.#wedged) status.wedged = this.#wedged.message;
    return status;
  }

  /**
   * A native call never returned: nothing can run on the NPU again in this process. Every
   * waiting and later request is refused with the reason; the lease holder keeps its lease.
   */
  markWedged(err: RuntimeWedgedError): void {
    if (this.#wedged) return;
    this.#wedged = err;
    this.#cancelIdleTimer();
    for (const waiter of [...this.#queue]) waiter.fail(err);
  }

  /**
   * When the idle unload would unload the loaded model (epoch ms): the armed timer's deadline,
   * or, while the NPU is in use, the deadline if it were released now. null: never.
   */
  idleUnloadAt(): number | null {
    if (!this.#loaded || this.#opts.idleUnloadMs <= 0) return null;
    return this.#idleDeadline ?? Date.now() + this.#opts.idleUnloadMs;
  }

  /** Waits for exclusive use of the NPU, in arrival order. */
  acquire(signal?: AbortSignal): Promise<Lease> {
    if (this.#wedged) return Promise.reject(this.#wedged);
    if (this.#closing) return Promise.reject(new ShuttingDownError());
    // A rejection, not a synchronous throw, like every other refusal here.
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#cancelIdleTimer();
    if (this.#holder === null && this.#queue.length === 0) {
      this.#observer.queueWait?.(0);
      return Promise.resolve(this.#grant());
    }
    const queuedAt = performance.now();
    if (this.#queue.length >= this.#opts.queueDepth) {
      return Promise.reject(
        new ServerBusyError(
          `The NPU is busy and ${this.#queue.length} request(s) are already waiting; retry shortly.`,
          this.#retryAfterSeconds(),
        ),
      );
    }
    return new Promise<Lease>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const i = this.#queue.indexOf(waiter);
        if (i !== -1) this.#queue.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: (lease) => {
          cleanup();
          this.#observer.queueWait?.((performance.now() - queuedAt) / 1000);
          resolve(lease);
        },
        fail: (err) => {
          cleanup();
          reject(err);
        },
      };
      const onAbort = (): void =>
        waiter.fail(signal!.reason ?? new DOMException("aborted", "AbortError"));
      const timeoutMs = this.#opts.queueTimeoutMs;
      const timer = timeoutMs > 0
        ? setTimeout(() => {
          waiter.fail(
            new ServerBusyError(
              `Waited ${timeoutMs / 1000}s for the NPU without getting it; retry shortly.`,
              this.#retryAfterSeconds(),
            ),
          );
        }, timeoutMs)
        : undefined;
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /**
   * A hint for clients: the expected wait for a place, from how long leases have been held
   * (moving average) times the requests ahead, minus what the current holder has used; at least
   * 1 s and at most the queue wait.
   */
  #retryAfterSeconds(): number {
    const now = this.#now();
    const held = this.#heldSince === null ? 0 : now - this.#heldSince;
    const mean = this.#meanHoldMs ?? held;
    const ahead = (this.#queue.length + 1) * mean - Math.min(held, mean);
    const cap = this.#opts.queueTimeoutMs > 0 ? this.#opts.queueTimeoutMs : 300_000;
    return Math.max(1, Math.ceil(Math.min(ahead, cap) / 1000));
  }

  #grant(): Lease {
    const lease = new Lease(this);
    this.#holder = lease;
    this.#heldSince = this.#now();
    return lease;
  }

  releaseFor(lease: Lease): void {
    if (this.#holder !== lease) return;
    this.#holder = null;
    if (this.#heldSince !== null) {
      const ms = this.#now() - this.#heldSince;
      // A moving average: recent turns weigh most, one outlier does not dominate.
      this.#meanHoldMs = this.#meanHoldMs === null ? ms : 0.8 * this.#meanHoldMs + 0.2 * ms;
      this.#heldSince = null;
    }
    const next = this.#queue.shift();
    if (next) {
      next.grant(this.#grant());
      return;
    }
    this.#armIdleTimer();
  }

  async loadFor(
    lease: Lease,
    id: string,
    params: () => ModelLoadParams,
    encoder?: () => EncoderLoad,
  ): Promise<LoadedModel> {
    this.#assertHolder(lease);
    if (this.#loaded?.id === id) return this.#loaded;
    if (this.#loaded) await this.unloadFor(lease, `switching to ${id}`);
    this.#loading = id;
    const started = performance.now();
    this.#log.info("scheduler", "loading model", { model: id });
    try {
      const npu = await this.#backend.load(params());
      let loaded: LoadedModel = { id, npu };
      if (encoder) {
        try {
          loaded = { id, npu, vision: await this.#loadEncoder(encoder()) };
        } catch (err) {
          // Half a vision model is not loaded: free the language model too.
          await npu.destroy();
          throw err;
        }
      }
      if (this.#closing) {
        // close() gave up waiting for this load; nobody else will free the model.
        await free(loaded);
        throw new ShuttingDownError();
      }
      this.#loaded = loaded;
      const seconds = (performance.now() - started) / 1000;
      this.#observer.modelLoaded?.(id, seconds);
      this.#log.info("scheduler", "model loaded", { model: id, seconds: seconds.toFixed(2) });
      return this.#loaded;
    } finally {
      this.#loading = null;
    }
  }

  #loadEncoder(encoder: EncoderLoad): Promise<VisionEncoder> {
    if (!this.#backend.loadVisionEncoder) {
      return Promise.reject(new Error("this NPU runtime cannot run vision encoders"));
    }
    this.#log.info("scheduler", "loading vision encoder", { path: encoder.path });
    return this.#backend.loadVisionEncoder(encoder.path, encoder.opts);
  }

  async unloadFor(lease: Lease, reason: string): Promise<string | null> {
    this.#assertHolder(lease);
    const loaded = this.#loaded;
    if (!loaded) return null;
    this.#loaded = null;
    this.#log.info("scheduler", "unloading model", { model: loaded.id, reason });
    await free(loaded);
    return loaded.id;
  }

  #assertHolder(lease: Lease): void {
    if (this.#holder !== lease) throw new Error("the NPU is not held by this lease");
  }

  #armIdleTimer(): void {
    this.#cancelIdleTimer();
    if (this.#opts.idleUnloadMs <= 0 || !this.#loaded || this.#closing) return;
    const timer = setTimeout(() => {
      this.#idleTimer = null;
      this.#idleDeadline = null;
      if (this.#holder || this.#queue.length || !this.#loaded) return;
      const lease = this.#grant();
      this.#log.info("scheduler", "idle timeout", {
        model: this.#loaded.id,
        seconds: this.#opts.idleUnloadMs / 1000,
      });
      this.unloadFor(lease, "idle")
        .catch((err) => this.#log.error("scheduler", "idle unload failed", { error: String(err) }))
        .finally(() => lease.release());
    }, this.#opts.idleUnloadMs);
    // An idle timer alone must not keep the process alive.
    Deno.unrefTimer(timer);
    this.#idleTimer = timer;
    this.#idleDeadline = Date.now() + this.#opts.idleUnloadMs;
  }

  #cancelIdleTimer(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
    this.#idleDeadline = null;
  }

  /**
   * Stops accepting work, fails every queued request, interrupts the holder, waits for it (at
   * most `graceMs`) and unloads the model.
   */
  async close(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#cancelIdleTimer();
    for (const waiter of [...this.#queue]) waiter.fail(new ShuttingDownError());
    const holder = this.#holder;
    if (holder) {
      holder.onInterrupt?.();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        holder.whenReleased(),
        new Promise((r) => timer = setTimeout(r, graceMs)),
      ]);
      clearTimeout(timer);
    }
    const loaded = this.#loaded;
    this.#loaded = null;
    if (loaded) await free(loaded);
  }
}

/** Frees a model's NPU memory: the encoder, then the language model even if that failed. */
async function free(loaded: LoadedModel): Promise<void> {
  try {
    await loaded.vision?.destroy();
  } finally {
    await loaded.npu.destroy();
  }
}
