/**
 * A scripted NPU for engine-level tests: an `NpuBackend` in plain TypeScript that keeps a KV
 * cache of text positions (4 characters each, like the C mock), answers each run with the next
 * scripted reply (or an echo of the prompt), honours abort, keep_history and the runtime
 * readings the engine must survive, and records every call. Runs are driven by real timers
 * with small delays, so KV, stop, max_tokens and timeout behaviour are tested in milliseconds
 * without FFI.
 */
import { ChatEngine, type ChatEngineOptions } from "../../src/engine/chat_engine.ts";
import { Scheduler } from "../../src/engine/scheduler.ts";
import { silentLogger } from "../../src/log.ts";
import type { ModelEntry } from "../../src/models/registry.ts";
import { ModelRegistry } from "../../src/models/registry.ts";
import { DEFAULT_SAMPLING } from "../../src/models/sampling.ts";
import { testEngineOptions } from "./engine.ts";
import type {
  ModelLoadParams,
  NpuBackend,
  NpuEvent,
  NpuModel,
  NpuRun,
  NpuRunInput,
  PerfStats,
} from "../../src/rkllm/npu.ts";

export interface ScriptedReply {
  /** Tokens delivered in order. */
  tokens: string[];
  /** Delay before the first token. */
  prefillMs?: number;
  /** Delay between tokens. */
  tokenMs?: number;
  /** After this many tokens the runtime reports an error. */
  errorAt?: number;
  /** No token at all until aborted. */
  hang?: boolean;
}

export interface FakeNpuOptions {
  /** What a keep_history=0 run leaves in the cache: nothing, or the cache as before it. */
  keep0?: "clear" | "rollback";
  /** Refuse `setFunctionTools` with empty strings (a runtime that wants a JSON array). */
  refuseEmptyTools?: boolean;
}

export type FakeCall =
  | { op: "load"; model: string }
  | { op: "destroy" }
  | { op: "run"; prompt: string; role: string; keepHistory: boolean; kvBefore: number }
  | { op: "clear" }
  | { op: "clear_range"; start: number; end: number }
  | { op: "tools"; json: string }
  | { op: "kv_size"; size: number };

const CHARS_PER_POSITION = 4;

function positions(text: string): number {
  return Math.max(1, Math.floor(text.length / CHARS_PER_POSITION));
}

export class FakeNpu implements NpuBackend {
  readonly description = "fake NPU";
  readonly perRunSampling = false;
  readonly calls: FakeCall[] = [];
  readonly replies: ScriptedReply[] = [];
  readonly opts: FakeNpuOptions;

  constructor(opts: FakeNpuOptions = {}) {
    this.opts = opts;
  }

  /** The next runs answer with these replies, in order. */
  script(...replies: ScriptedReply[]): void {
    this.replies.push(...replies);
  }

  /** The calls of one kind, for assertions. */
  callsOf<K extends FakeCall["op"]>(op: K): Extract<FakeCall, { op: K }>[] {
    return this.calls.filter((c): c is Extract<FakeCall, { op: K }> => c.op === op);
  }

  load(params: ModelLoadParams): Promise<NpuModel> {
    this.calls.push({ op: "load", model: params.modelPath });
    return Promise.resolve(new FakeNpuModel(this, params));
  }

  close(): void {}
}

class FakeNpuModel implements NpuModel {
  readonly #npu: FakeNpu;
  readonly #params: ModelLoadParams;
  /** Positions in the cache. */
  #kv = 0;
  #active = false;
  /** The last run was a keep_history=0 run that paused: a range clear is valid now. */
  #pausedKeep0 = false;

  constructor(npu: FakeNpu, params: ModelLoadParams) {
    this.#npu = npu;
    this.#params = params;
  }

  run(input: NpuRunInput): NpuRun {
    if (this.#active) throw new Error("fake NPU: a run is already active");
    this.#active = true;
    this.#pausedKeep0 = false;
    const npu = this.#npu;
    npu.calls.push({
      op: "run",
      prompt: input.prompt,
      role: input.role,
      keepHistory: input.keepHistory,
      kvBefore: this.#kv,
    });
    const reply = npu.replies.shift() ?? { tokens: [` echo ${input.prompt.slice(0, 20)}`] };
    const before = this.#kv;
    const prefill = positions(input.prompt);
    let aborted = false;
    let wake: (() => void) | null = null;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          wake = null;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = null;
          resolve();
        };
      });
    const settled = Promise.withResolvers<void>();
    const events = new ReadableStream<NpuEvent>({
      start: (controller) => {
        const started = performance.now();
        void (async () => {
          this.#kv += prefill;
          if (this.#kv > this.#params.contextLength) {
            this.#kv = before;
            controller.enqueue({ type: "error", message: "context overflow" });
          } else {
            await sleep(reply.prefillMs ?? 0);
            while (reply.hang && !aborted) await sleep(5);
            const prefillMs = performance.now() - started;
            let delivered = 0;
            let failed = false;
            let paused = false;
            for (const token of reply.tokens) {
              if (aborted) break;
              if (reply.errorAt === delivered) {
                controller.enqueue({ type: "error", message: `fake error at token ${delivered}` });
                failed = true;
                break;
              }
              if (delivered > 0) await sleep(reply.tokenMs ?? 0);
              if (aborted) break;
              controller.enqueue({ type: "text", text: token });
              this.#kv++;
              delivered++;
              if (input.pauseWhen?.(token)) {
                paused = true;
                break;
              }
            }
            if (paused) {
              controller.enqueue({ type: "paused" });
              this.#pausedKeep0 = !input.keepHistory;
            } else if (!failed) {
              if (aborted) controller.enqueue({ type: "aborted" });
              else {
                const perf: PerfStats = {
                  prefillMs,
                  prefillTokens: prefill,
                  generateMs: performance.now() - started - prefillMs,
                  generateTokens: delivered,
                  memoryMb: 1,
                };
                controller.enqueue({ type: "finish", perf });
              }
            }
          }
          if (!input.keepHistory && !this.#pausedKeep0) {
            this.#kv = npu.opts.keep0 === "rollback" ? before : 0;
          }
          controller.close();
          this.#active = false;
          settled.resolve();
        })();
      },
    });
    return {
      events,
      abort: () => {
        aborted = true;
        (wake as (() => void) | null)?.();
      },
      settled: settled.promise,
    };
  }

  clearKvCache(): Promise<void> {
    this.#npu.calls.push({ op: "clear" });
    this.#kv = 0;
    return Promise.resolve();
  }

  /** Accepted only right after a paused keep_history=0 run, as the header documents. */
  clearKvCacheRange(start: number, end: number): Promise<void> {
    this.#npu.calls.push({ op: "clear_range", start, end });
    if (!this.#pausedKeep0) return Promise.reject(new Error("rkllm_clear_kv_cache returned -1"));
    this.#kv -= Math.max(0, Math.min(end, this.#kv) - start);
    return Promise.resolve();
  }

  loadPromptCache(): Promise<void> {
    return Promise.reject(new Error("fake NPU: no prompt-cache files"));
  }

  releasePromptCache(): Promise<void> {
    return Promise.resolve();
  }

  kvCacheSize(): Promise<number | null> {
    this.#npu.calls.push({ op: "kv_size", size: this.#kv });
    return Promise.resolve(this.#kv);
  }

  setFunctionTools(_system: string, toolsJson: string): Promise<void> {
    if (!toolsJson && this.#npu.opts.refuseEmptyTools) {
      return Promise.reject(new Error("rkllm_set_function_tools returned -1"));
    }
    this.#npu.calls.push({ op: "tools", json: toolsJson });
    return Promise.resolve();
  }

  destroy(): Promise<void> {
    this.#npu.calls.push({ op: "destroy" });
    return Promise.resolve();
  }
}

/** A model entry as discovery would make it, without a file. */
export function fakeEntry(id: string, over: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id,
    path: `/models/${id}/${id}.rkllm`,
    dir: `/models/${id}`,
    fileName: `${id}.rkllm`,
    sizeBytes: 1,
    contextLength: 4096,
    maxNewTokens: 512,
    capabilities: [],
    thinkPrefilled: false,
    sampling: { ...DEFAULT_SAMPLING },
    disableTools: false,
    skipChat: false,
    ...over,
  };
}

export interface FakeEngine {
  engine: ChatEngine;
  npu: FakeNpu;
  close(): Promise<void>;
}

/** The real engine and scheduler over a `FakeNpu`. */
export function fakeEngine(
  entries: ModelEntry[] = [fakeEntry("m")],
  npuOpts: FakeNpuOptions = {},
  engineOpts: Partial<ChatEngineOptions> = {},
): FakeEngine {
  const npu = new FakeNpu(npuOpts);
  const scheduler = new Scheduler(
    npu,
    { queueDepth: 8, queueTimeoutMs: 0, idleUnloadMs: 0 },
    silentLogger,
  );
  const engine = new ChatEngine(
    new ModelRegistry(entries),
    scheduler,
    testEngineOptions(engineOpts),
    silentLogger,
  );
  return { engine, npu, close: () => scheduler.close(1000) };
}
