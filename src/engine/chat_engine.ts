/**
 * Orchestrates one chat request: resolve the model, check the prompt fits, wait for the NPU
 * (scheduler), load or switch the model, decide between an incremental turn and a KV reset,
 * start the run and hand back its events. The lease on the NPU is released only when the
 * generation has ended and the native run has settled.
 * Knows nothing of HTTP wire formats or FFI.
 */
import { InvalidRequestError, ModelLoadError, ModelNotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { supportsThinking } from "../models/capabilities.ts";
import type { ModelRegistry } from "../models/registry.ts";
import type { ModelEntry } from "../models/registry.ts";
import { runGeneration } from "./generation.ts";
import { afterCleanRun, decideKv, normaliseConversation } from "./kv_cache.ts";
import type { ModelLoadParams, SamplingParams } from "./npu.ts";
import { buildPrompt, conversationTokens } from "./prompt.ts";
import { decideThinking } from "./think_control.ts";
import type { Lease, Scheduler } from "./scheduler.ts";
import type {
  ChatGeneration,
  ChatRequest,
  ChatService,
  EngineStatus,
  ModelInfo,
  SamplingField,
} from "./types.ts";

export interface ChatEngineOptions {
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  cpuMask: number;
  baseDomainId: number;
  embedFlash: boolean;
}

const SAMPLING_KEYS: Record<SamplingField, keyof SamplingParams> = {
  temperature: "temperature",
  top_p: "topP",
  top_k: "topK",
  repeat_penalty: "repeatPenalty",
  frequency_penalty: "frequencyPenalty",
  presence_penalty: "presencePenalty",
};

/**
 * Context kept free for the answer. An explicit `max_tokens` is reserved in full (up to half the
 * context); otherwise the model's limit, but at most 35 % of the context, so a large
 * max_new_tokens does not leave long conversations no room (the runtime stops at a full context).
 */
export function answerReserve(
  contextLength: number,
  maxTokens: number,
  requested: number | undefined,
): number {
  const cap = requested === undefined
    ? Math.floor(contextLength * 0.35)
    : Math.floor(contextLength / 2);
  return Math.min(maxTokens, cap);
}

export class ChatEngine implements ChatService {
  #registry: ModelRegistry;
  #scheduler: Scheduler;
  #opts: ChatEngineOptions;
  #log: Logger;

  constructor(
    registry: ModelRegistry,
    scheduler: Scheduler,
    opts: ChatEngineOptions,
    log: Logger,
  ) {
    this.#registry = registry;
    this.#scheduler = scheduler;
    this.#opts = opts;
    this.#log = log;
  }

  #info(entry: ModelEntry): ModelInfo {
    return {
      id: entry.id,
      aliases: this.#registry.aliasesOf(entry.id),
      contextLength: entry.contextLength,
      capabilities: entry.capabilities,
      sizeBytes: entry.sizeBytes,
      fileName: entry.fileName,
    };
  }

  listModels(): ModelInfo[] {
    return this.#registry.list().filter((e) => !e.skipChat).map((e) => this.#info(e));
  }

  findModel(name: string): ModelInfo | undefined {
    const entry = this.#registry.resolve(name);
    return entry && !entry.skipChat ? this.#info(entry) : undefined;
  }

  status(): EngineStatus {
    return this.#scheduler.status();
  }

  resolve(name: string): ModelEntry {
    const entry = this.#registry.resolve(name);
    if (!entry || entry.skipChat) {
      throw new ModelNotFoundError(name, this.listModels().map((m) => m.id));
    }
    return entry;
  }

  loadParams(entry: ModelEntry): ModelLoadParams {
    return {
      modelPath: entry.path,
      contextLength: entry.contextLength,
      maxNewTokens: entry.maxNewTokens,
      sampling: entry.sampling,
      cpuMask: this.#opts.cpuMask,
      baseDomainId: this.#opts.baseDomainId,
      embedFlash: this.#opts.embedFlash,
    };
  }

  async #load(lease: Lease, entry: ModelEntry) {
    try {
      return await lease.ensureLoaded(entry.id, () => this.loadParams(entry));
    } catch (err) {
      throw new ModelLoadError(entry.id, (err as Error).message, err);
    }
  }

  /** Pre-loads a model (warm-up) through the queue, like a chat request would. */
  async select(name: string, signal?: AbortSignal): Promise<string> {
    const entry = this.resolve(name);
    const lease = await this.#scheduler.acquire(signal);
    try {
      await this.#load(lease, entry);
      return entry.id;
    } finally {
      lease.release();
    }
  }

  async unload(signal?: AbortSignal): Promise<string | null> {
    const lease = await this.#scheduler.acquire(signal);
    try {
      return await lease.unload("requested");
    } finally {
      lease.release();
    }
  }

  async start(req: ChatRequest, signal?: AbortSignal): Promise<ChatGeneration> {
    const entry = this.resolve(req.model);
    const thinkingDecision = decideThinking(
      req.messages,
      supportsThinking(entry.capabilities),
      req.enableThinking,
    );
    const thinking = thinkingDecision.enableThinking;
    const conv = normaliseConversation(thinkingDecision.messages);
    if (conv.turns.at(-1)?.role !== "user" && conv.turns.at(-1)?.role !== "tool") {
      throw new InvalidRequestError(
        "The last message must be from the user (or a tool result).",
        "messages",
      );
    }
    const maxTokens = Math.min(req.maxTokens ?? entry.maxNewTokens, entry.maxNewTokens);
    const budget = entry.contextLength -
      answerReserve(entry.contextLength, maxTokens, req.maxTokens);
    // Before queueing: an oversized prompt is refused at once, without waiting for the NPU.
    const built = buildPrompt(conv, budget);
    const ignoredParams = Object.entries(req.sampling)
      .filter(([k, v]) => entry.sampling[SAMPLING_KEYS[k as SamplingField]] !== v)
      .map(([k]) => k);

    const lease = await this.#scheduler.acquire(signal);
    try {
      const loaded = await this.#load(lease, entry);
      // The client may have gone while the model loaded: do not generate for nobody.
      signal?.throwIfAborted();
      let decision = decideKv(loaded.conversation, conv);
      // The runtime's cache only grows: once it could overflow, start over with trimmed history.
      if (decision.mode === "incremental" && conversationTokens(conv) > budget) {
        decision = { mode: "reset" };
      }
      loaded.conversation = null;
      if (decision.mode === "reset") await loaded.npu.clearKvCache(false);
      const prompt = decision.mode === "incremental" ? decision.message : built.prompt;
      this.#log.info("engine", "run", {
        id: req.requestId,
        model: entry.id,
        kv: decision.mode,
        sent_chars: prompt.length,
        full_chars: built.prompt.length,
        dropped_turns: built.droppedTurns || undefined,
        thinking,
      });
      this.#log.debug("engine", "prompt", { id: req.requestId, prompt });
      const run = loaded.npu.run({
        prompt,
        role: "user",
        enableThinking: thinking,
        keepHistory: true,
      });
      lease.onInterrupt = () => run.abort();
      const started = performance.now();
      const events = runGeneration(run, {
        maxTokens,
        runtimeMaxTokens: entry.maxNewTokens,
        stop: req.stop,
        firstTokenTimeoutMs: this.#opts.firstTokenTimeoutMs,
        totalTimeoutMs: this.#opts.totalTimeoutMs,
        implicitThink: thinking && entry.thinkPrefilled,
        promptTokensEstimate: built.estimatedTokens,
      }, (outcome) => {
        if (outcome.clean) loaded.conversation = afterCleanRun(conv, outcome.content);
        lease.release();
        const perf = outcome.perf;
        this.#log.info("engine", "run ended", {
          id: req.requestId,
          result: outcome.error ? "error" : outcome.clean ? "finish" : "aborted",
          finish: outcome.finishReason ?? undefined,
          ms: Math.round(performance.now() - started),
          prefill_ms: perf ? Math.round(perf.prefillMs) : undefined,
          prefill_tokens: perf?.prefillTokens,
          tokens: perf?.generateTokens,
          error: outcome.error?.message,
        });
      });
      return {
        requestId: req.requestId,
        model: entry.id,
        ignoredParams,
        events,
        cancel: () => run.abort(),
      };
    } catch (err) {
      lease.release();
      throw err;
    }
  }
}
