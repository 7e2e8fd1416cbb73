/**
 * One NPU turn under a lease: wait for the NPU, load or switch the model, let the model's
 * session prepare the cache, decode and encode the images its prompt carries, run, and turn the
 * run into chat events. The lease is released only after the native run has settled and the
 * session has recorded the outcome, so the next turn sees the cache as it really is.
 *
 * Knows nothing of HTTP wire formats or FFI.
 */
import { ModelLoadError, RkllmError } from "../errors.ts";
import type { ModelEntry } from "../models/registry.ts";
import type { NpuImages } from "../rkllm/npu.ts";
import { type CollectedImage, embedImages, loadImages } from "../vision/images.ts";
import { DEFAULT_VISION_SETTINGS, type VisionSettings } from "../vision/settings.ts";
import type { EngineParts } from "./admin.ts";
import { type GenerationOutcome, startGeneration } from "./generation.ts";
import type { NpuTurnPlan } from "./plan.ts";
import { replayGeneration } from "./replay.ts";
import { type ModelSession, type PreparedTurn, ReloadNeeded } from "./session.ts";
import type { LoadedModel } from "./scheduler.ts";
import { ToolCallParser } from "./tool_calls.ts";
import type { ChatEvent, ChatGeneration, EngineObserver } from "./types.ts";

export interface TurnRunnerOptions {
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  /** After an abort, how long a run may take to return before the runtime counts as wedged. */
  abortGraceMs: number;
  /** Called once when the runtime is wedged (the server then exits so it is restarted). */
  onWedged?: (err: Error) => void;
  /** The runtime takes sampling and max_new_tokens per run (1.3.0). */
  perRunSampling: boolean;
  /** Image limits (default: DEFAULT_VISION_SETTINGS). */
  vision?: VisionSettings;
  observer?: EngineObserver;
}

export class TurnRunner {
  readonly #parts: EngineParts;
  readonly #opts: TurnRunnerOptions;

  constructor(parts: EngineParts, opts: TurnRunnerOptions) {
    this.#parts = parts;
    this.#opts = opts;
  }

  /**
   * Starts `plan` on `entry`. `onEnd` runs once the run has ended and the cache record is
   * updated, before the NPU is released (the RAG answer cache stores here).
   */
  async run(
    requestId: string,
    entry: ModelEntry,
    plan: NpuTurnPlan,
    signal?: AbortSignal,
    onEnd?: (outcome: GenerationOutcome) => void,
  ): Promise<ChatGeneration> {
    const lease = await this.#parts.admin.acquire(signal);
    try {
      // The client may have gone while it waited: do not load or generate for nobody.
      signal?.throwIfAborted();
      let loaded = await this.#parts.admin.load(lease, entry);
      signal?.throwIfAborted();
      let session = await this.#parts.sessions.ready(loaded.npu, entry);
      let prepared: PreparedTurn;
      try {
        prepared = await session.prepare(plan);
      } catch (err) {
        // A refused runtime call: a fresh load is a clean state; the turn then starts cold.
        if (!(err instanceof ReloadNeeded || err instanceof RkllmError)) throw err;
        this.#parts.log.warn("engine", "runtime call refused; reloading the model", {
          id: requestId,
          model: entry.id,
          error: err.message,
        });
        loaded = await this.#parts.admin.reload(lease, entry, "a runtime call was refused");
        session = await this.#parts.sessions.ready(loaded.npu, entry);
        prepared = await session.prepare(plan);
      }
      if (prepared.kind === "replay") {
        lease.release();
        this.#parts.log.info("engine", "answered without a run", {
          id: requestId,
          kv: prepared.kv,
        });
        return replayGeneration({
          requestId,
          model: entry.id,
          content: prepared.content,
          promptText: plan.continuation?.instruction ?? prepared.content,
        });
      }
      const encodeStarted = performance.now();
      const images = await this.#images(session, loaded, entry, prepared.images ?? [], signal);
      this.#parts.log.info("engine", "run", {
        id: requestId,
        model: entry.id,
        kind: plan.kind,
        kv: prepared.kv,
        sent_chars: prepared.input.prompt.length,
        images: images?.count,
        encode_ms: images ? Math.round(performance.now() - encodeStarted) : undefined,
        thinking: plan.enableThinking,
      });
      this.#parts.log.debug("engine", "prompt", { id: requestId, prompt: prepared.input.prompt });
      const run = loaded.npu.run({
        ...prepared.input,
        images,
        enableThinking: plan.enableThinking,
        ...(this.#opts.perRunSampling
          ? { sampling: plan.sampling, maxNewTokens: plan.maxTokens }
          : {}),
      });
      const started = performance.now();
      const generation = startGeneration(run, {
        maxTokens: plan.maxTokens,
        runtimeMaxTokens: entry.maxNewTokens,
        stop: plan.stop,
        firstTokenTimeoutMs: this.#opts.firstTokenTimeoutMs,
        totalTimeoutMs: this.#opts.totalTimeoutMs,
        settleGraceMs: this.#opts.abortGraceMs,
        implicitThink: plan.implicitThink,
        promptTokensEstimate: plan.promptTokensEstimate,
        toolCalls: plan.toolCalls ? new ToolCallParser(newCallId) : undefined,
      }, async (outcome) => {
        if (outcome.wedged) {
          // The native run is still going: the NPU stays held, nothing else may run.
          this.#parts.admin.markWedged(outcome.error!);
          this.#parts.log.error("engine", "the NPU runtime is wedged", {
            id: requestId,
            error: outcome.error!.message,
          });
          this.#opts.onWedged?.(outcome.error!);
          return;
        }
        try {
          await session.commit(outcome);
          onEnd?.(outcome);
        } catch (err) {
          session.forget();
          this.#parts.log.warn("engine", "could not update the KV-cache record", {
            id: requestId,
            error: String(err),
          });
        } finally {
          lease.release();
        }
        this.#ended(requestId, entry, plan, outcome, started);
      });
      lease.onInterrupt = () => generation.interrupt();
      return {
        requestId,
        model: entry.id,
        ignoredParams: plan.ignoredParams,
        events: plan.rewrite ? rewritten(generation.events, plan.rewrite) : generation.events,
        cancel: generation.cancel,
      };
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /**
   * The prompt's images, decoded and encoded under the lease (one picture's pixels in memory at
   * a time). A failure here (a picture that does not decode, an encoder error) leaves the cache
   * record unknown: the session forgets it.
   */
  async #images(
    session: ModelSession,
    loaded: LoadedModel,
    entry: ModelEntry,
    images: readonly CollectedImage[],
    signal?: AbortSignal,
  ): Promise<NpuImages | undefined> {
    if (!images.length) return undefined;
    try {
      const vision = entry.vision;
      if (!loaded.vision || !vision) {
        throw new ModelLoadError(entry.id, "its vision encoder is not loaded");
      }
      const settings = this.#opts.vision ?? DEFAULT_VISION_SETTINGS;
      const bytes = await loadImages(images, { settings, signal });
      const e = await embedImages(bytes, loaded.vision, {
        settings,
        background: vision.background,
      });
      signal?.throwIfAborted();
      return {
        embeddings: e.embeddings,
        count: e.nImages,
        tokensPerImage: e.nImageTokens,
        width: e.width,
        height: e.height,
        tags: { start: vision.imageStart, end: vision.imageEnd, content: vision.imageContent },
      };
    } catch (err) {
      session.forget();
      throw err;
    }
  }

  #ended(
    requestId: string,
    entry: ModelEntry,
    plan: NpuTurnPlan,
    outcome: GenerationOutcome,
    started: number,
  ): void {
    const perf = outcome.perf;
    const interrupted = outcome.stopped === "client" || outcome.stopped === "shutdown";
    const result = outcome.error && !interrupted
      ? "error"
      : outcome.clean
      ? "finish"
      : outcome.paused
      ? "paused"
      : "aborted";
    this.#opts.observer?.runEnded?.({
      model: entry.id,
      kind: plan.kind,
      promptTokens: perf?.prefillTokens ?? plan.promptTokensEstimate,
      completionTokens: perf?.generateTokens ?? outcome.tokens,
      prefillSeconds: perf ? perf.prefillMs / 1000 : null,
      decodeSeconds: perf ? perf.generateMs / 1000 : null,
      // A pause is a deliberate, complete end (the answer was whole).
      result: result === "paused" ? "finish" : result,
    });
    if (outcome.stopped === "timeout" && !outcome.error) {
      this.#parts.log.warn("engine", "answer cut by the generation timeout", {
        id: requestId,
        tokens: outcome.tokens,
        seconds: this.#opts.totalTimeoutMs / 1000,
      });
    }
    this.#parts.log.info("engine", "run ended", {
      id: requestId,
      result,
      finish: outcome.finishReason ?? undefined,
      ms: Math.round(performance.now() - started),
      prefill_ms: perf ? Math.round(perf.prefillMs) : undefined,
      prefill_tokens: perf?.prefillTokens,
      tokens: perf?.generateTokens,
      error: outcome.error?.message,
    });
  }
}

function newCallId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Holds a reply back and emits `rewrite(content)` as one piece before `done`. */
async function* rewritten(
  events: AsyncIterable<ChatEvent>,
  rewrite: (content: string) => string,
): AsyncGenerator<ChatEvent> {
  let content = "";
  for await (const event of events) {
    if (event.type === "content") content += event.text;
    else if (event.type === "reasoning") continue;
    else if (event.type === "done") {
      yield { type: "content", text: rewrite(content) };
      yield event;
    } else yield event;
  }
}
