/**
 * Orchestrates one chat request. After resolving the model and the thinking switch, a request
 * is one of four kinds:
 * - an Open WebUI background task: answered at once without the NPU (shortcut), or run on the
 *   model with keep_history=0 and its reply normalised to the JSON Open WebUI parses;
 * - a RAG (web search / documents) request: a cached answer is replayed, else the cleaned and
 *   packed context runs as one turn (incremental on the user's conversation when it fits);
 * - a RAG request that is a follow-up or found nothing useful: an ordinary chat turn;
 * - an ordinary chat turn: incremental when the KV cache holds its history, else a reset.
 * Every NPU turn goes through `#run`: wait for the NPU, load or switch the model, prepare the
 * prompt with the NPU held, run, and release only after the native run has settled.
 * Knows nothing of HTTP wire formats or FFI.
 */
import {
  ContextLengthError,
  GenerationError,
  InvalidRequestError,
  ModelLoadError,
  ModelNotFoundError,
} from "../errors.ts";
import { normalizeEmbedding } from "./embedding.ts";
import type { Logger } from "../log.ts";
import { supportsThinking } from "../models/capabilities.ts";
import type { ModelEntry, ModelRegistry } from "../models/registry.ts";
import type { RagCache } from "../rag/cache.ts";
import { planRag } from "../rag/pipeline.ts";
import { detectTask, type TaskKind } from "../tasks/detect.ts";
import { normaliseTaskReply } from "../tasks/reply.ts";
import type { TaskMode } from "../tasks/settings.ts";
import { shortcutReply } from "../tasks/shortcut.ts";
import { type GenerationOutcome, startGeneration } from "./generation.ts";
import {
  afterCleanRun,
  assistantText,
  type CachedConversation,
  decideKv,
  normaliseConversation,
} from "./kv_cache.ts";
import type { ModelLoadParams, SamplingParams } from "../rkllm/npu.ts";
import { buildPrompt, cleanSystemPrompt, conversationTokens, estimateTokens } from "./prompt.ts";
import { replayGeneration } from "./replay.ts";
import type { LoadedModel, Scheduler } from "./scheduler.ts";
import { decideThinking } from "./think_control.ts";
import { ToolCallParser } from "./tool_calls.ts";
import type {
  ChatEvent,
  ChatGeneration,
  ChatRequest,
  ChatService,
  EmbeddingResult,
  EngineObserver,
  EngineStatus,
  ModelInfo,
  SamplingField,
} from "./types.ts";
import type { ChatMessage } from "../chat/messages.ts";

export interface ChatEngineOptions {
  firstTokenTimeoutMs: number;
  totalTimeoutMs: number;
  cpuMask: number;
  baseDomainId: number;
  embedFlash: boolean;
  /** The runtime takes sampling and max_new_tokens per run (1.3.0); else only at load. */
  perRunSampling: boolean;
  taskModes: Readonly<Record<TaskKind, TaskMode>>;
  taskMaxTokens: number;
  /** Answers to RAG questions, replayed while the sources stay the same. */
  ragCache: RagCache<CachedAnswer>;
  observer?: EngineObserver;
}

export interface CachedAnswer {
  content: string;
  reasoning: string;
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

/** What to send once the NPU is held, and how the KV-cache record changes afterwards. */
interface PreparedTurn {
  prompt: string;
  /** The runtime's input role: tool results go back as "tool". */
  role?: "user" | "tool";
  keepHistory: boolean;
  /** For the log line: incremental, reset, task… */
  kv: string;
  after(outcome: GenerationOutcome): void | Promise<void>;
}

interface TurnSpec {
  kind: "chat" | "rag" | "task";
  enableThinking: boolean;
  maxTokens: number;
  /** Sampling for this run when the runtime takes it per run. */
  sampling?: SamplingParams;
  stop: string[];
  implicitThink: boolean;
  promptTokensEstimate: number;
  prepare(loaded: LoadedModel): Promise<PreparedTurn>;
  /** Buffer the whole reply and replace it (background tasks). */
  rewrite?: (content: string) => string;
  /** Parse `<tool_call>` blocks into tool calls. */
  toolCalls?: boolean;
}

/** The tag Rockchip's examples use to mark tool results in the chat template. */
const TOOL_RESPONSE_TAG = "tool_response";
const DEFAULT_TOOLS_SYSTEM_PROMPT = "You are a helpful assistant.";

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

  async #load(lease: Awaited<ReturnType<Scheduler["acquire"]>>, entry: ModelEntry) {
    try {
      return await lease.ensureLoaded(entry.id, () => this.loadParams(entry));
    } catch (err) {
      throw new ModelLoadError(entry.id, (err as Error).message, err);
    }
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
      if (estimateTokens(text) > entry.contextLength) {
        throw new ContextLengthError(
          `input[${i}] needs about ${
            estimateTokens(text)
          } tokens; ${entry.id} takes ${entry.contextLength}.`,
        );
      }
    });
    const texts = inputs.map(stripNul);
    const lease = await this.#scheduler.acquire(opts.signal);
    try {
      const loaded = await this.#load(lease, entry);
      await syncFunctionTools(loaded, null);
      // keep_history=0 runs may leave the cache empty (see the task turns).
      loaded.conversation = null;
      const vectors: Float32Array[] = [];
      let promptTokens = 0;
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
        let hidden: { vector: Float32Array; tokens: number } | null = null;
        let failure = "";
        for await (const event of run.events) {
          if (event.type === "hidden") hidden = event;
          else if (event.type === "error") failure = event.message;
          else if (event.type === "aborted") failure = "the run was interrupted";
        }
        await run.settled;
        if (!hidden) {
          throw new GenerationError(
            `No embedding from ${entry.id}: ${failure || "the runtime returned no hidden state"}.`,
          );
        }
        vectors.push(normalizeEmbedding(hidden.vector, opts.dimensions));
        promptTokens += hidden.tokens;
      }
      this.#log.info("engine", "embedded", {
        model: entry.id,
        inputs: inputs.length,
        tokens: promptTokens,
      });
      return { model: entry.id, vectors, promptTokens };
    } finally {
      lease.release();
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
    const decision = decideThinking(
      withoutNul(req.messages),
      supportsThinking(entry.capabilities),
      req.enableThinking,
    );
    let messages = decision.messages;
    const { sampling, ignoredParams } = this.#sampling(entry, req);
    const maxTokens = Math.min(req.maxTokens ?? entry.maxNewTokens, entry.maxNewTokens);
    const budget = entry.contextLength -
      answerReserve(entry.contextLength, maxTokens, req.maxTokens);

    const task = detectTask(messages);
    if (task) return await this.#task(req, entry, task, messages, budget, signal);

    const rag = planRag(messages, {
      contextTokens: entry.contextLength,
      answerTokens: entry.contextLength - budget,
    });
    if (rag.kind === "followup" || rag.kind === "no_results") {
      this.#log.info("rag", rag.kind === "followup" ? "skipped: follow-up" : "nothing useful", {
        id: req.requestId,
        reason: rag.kind === "followup" ? rag.reason : undefined,
        best_score: rag.kind === "no_results" ? rag.pack.bestScore : undefined,
      });
    }

    if (rag.kind !== "none") messages = rag.messages;
    const conv = normaliseConversation(messages);
    const last = conv.turns.at(-1)?.role;
    if (last !== "user" && last !== "tool") {
      throw new InvalidRequestError(
        "The last message must be from the user (or a tool result).",
        "messages",
      );
    }
    const offered = req.tools?.length && rag.kind !== "rag" ? req.tools : [];
    const toolsActive = offered.length > 0 && req.toolChoice !== "none" && !entry.disableTools;
    if (offered.length && entry.disableTools) ignoredParams.push("tools");
    // With tools, the runtime's tool template carries the system prompt (rkllm_set_function_tools),
    // so the prompt leaves it out. Built before queueing: an oversized prompt is refused at once.
    const built = buildPrompt(toolsActive ? { ...conv, system: "" } : conv, budget);
    const common = {
      maxTokens,
      sampling,
      stop: req.stop,
      implicitThink: decision.enableThinking && entry.thinkPrefilled,
    };

    if (rag.kind === "rag") {
      const key = this.#opts.ragCache.key(entry.id, rag.question, rag.cacheContext);
      const cached = this.#opts.ragCache.get(key);
      if (cached !== undefined) {
        this.#log.info("rag", "cache hit", { id: req.requestId, model: entry.id });
        return replayGeneration({
          requestId: req.requestId,
          model: entry.id,
          ...cached,
          promptText: rag.prompt,
        });
      }
      const thinking = decision.enableThinking && rag.thinkingAllowed;
      const ragTokens = estimateTokens(rag.prompt);
      this.#log.info("rag", "context packed", {
        id: req.requestId,
        sources: rag.sourceIds.join(",") || "-",
        chars_before: rag.pack.charsBefore,
        chars_after: rag.pack.charsAfter,
        best_score: rag.pack.bestScore,
      });
      return this.#run(req, entry, ignoredParams, {
        kind: "rag",
        ...common,
        enableThinking: thinking,
        implicitThink: thinking && entry.thinkPrefilled,
        promptTokensEstimate: ragTokens,
        prepare: async (loaded) => {
          await syncFunctionTools(loaded, null);
          const kv = decideKv(loaded.conversation, conv);
          const extra = ragTokens - estimateTokens(rag.question);
          const held = loaded.conversation ? conversationTokens(loaded.conversation) : 0;
          const store = (o: GenerationOutcome): void => {
            if (o.clean && o.content) {
              this.#opts.ragCache.set(key, { content: o.content, reasoning: o.reasoning });
            }
          };
          loaded.conversation = null;
          // The retrieved context joins the user's conversation in the KV cache when it fits, so
          // the chat continues incrementally afterwards.
          if (kv.mode === "incremental" && held + ragTokens <= budget) {
            return {
              prompt: rag.prompt,
              keepHistory: true,
              kv: "incremental",
              after: (o) => {
                store(o);
                if (o.clean) loaded.conversation = afterCleanRun(conv, o.content, extra);
              },
            };
          }
          await loaded.npu.clearKvCache(false);
          const system = cleanSystemPrompt(conv.system, rag.question);
          return {
            prompt: system ? `${system}\n\n${rag.prompt}` : rag.prompt,
            keepHistory: true,
            kv: "reset",
            after: (o) => {
              store(o);
              // Only a first turn is fully in the cache; an earlier history was not re-sent.
              if (o.clean && conv.turns.length === 1) {
                loaded.conversation = afterCleanRun(conv, o.content, extra);
              }
            },
          };
        },
      }, signal);
    }

    const toolsSystem = conv.system || DEFAULT_TOOLS_SYSTEM_PROMPT;
    const toolsJson = JSON.stringify(offered.map((t) => ({ type: "function", function: t })));
    const wantedTools = toolsActive ? `${toolsSystem}\u0000${toolsJson}` : "";

    return this.#run(req, entry, ignoredParams, {
      kind: "chat",
      ...common,
      toolCalls: toolsActive,
      enableThinking: decision.enableThinking,
      promptTokensEstimate: built.estimatedTokens,
      prepare: async (loaded) => {
        let kv = decideKv(loaded.conversation, conv);
        // The runtime's cache only grows: once it could overflow, start over with trimmed history.
        if (kv.mode === "incremental" && conversationTokens(conv) > budget) kv = { mode: "reset" };
        if (
          await syncFunctionTools(
            loaded,
            toolsActive ? { system: toolsSystem, json: toolsJson, key: wantedTools } : null,
          )
        ) kv = { mode: "reset" };
        loaded.conversation = null;
        if (kv.mode === "reset") await loaded.npu.clearKvCache(false);
        return {
          prompt: kv.mode === "incremental" ? kv.message : built.prompt,
          role: kv.mode === "incremental" ? kv.role : "user",
          keepHistory: true,
          kv: kv.mode,
          after: (o) => {
            if (o.clean) {
              loaded.conversation = afterCleanRun(conv, assistantText(o.content, o.toolCalls));
            }
          },
        };
      },
    }, signal);
  }

  /**
   * Request sampling fields over the model's profile. Runtime 1.2.3 takes sampling only at load:
   * then the fields that differ from the profile are reported back as not applied.
   */
  #sampling(
    entry: ModelEntry,
    req: ChatRequest,
  ): { sampling?: SamplingParams; ignoredParams: string[] } {
    const fields = Object.entries(req.sampling) as [SamplingField, number][];
    if (!this.#opts.perRunSampling) {
      return {
        ignoredParams: fields.filter(([k, v]) => entry.sampling[SAMPLING_KEYS[k]] !== v)
          .map(([k]) => k),
      };
    }
    const sampling = { ...entry.sampling };
    for (const [k, v] of fields) sampling[SAMPLING_KEYS[k]] = v;
    return { sampling, ignoredParams: [] };
  }

  async #task(
    req: ChatRequest,
    entry: ModelEntry,
    task: TaskKind,
    messages: ChatMessage[],
    budget: number,
    signal?: AbortSignal,
  ): Promise<ChatGeneration> {
    if (this.#opts.taskModes[task] === "shortcut") {
      this.#log.info("task", "answered without the NPU", { id: req.requestId, task });
      return replayGeneration({
        requestId: req.requestId,
        model: entry.id,
        content: shortcutReply(task, messages),
        promptText: messages.map((m) => m.content).join("\n"),
      });
    }
    const taskConv = normaliseConversation(messages);
    const built = buildPrompt(taskConv, budget);
    return await this.#run(req, entry, [], {
      kind: "task",
      enableThinking: false,
      maxTokens: Math.min(this.#opts.taskMaxTokens, entry.maxNewTokens),
      stop: [],
      implicitThink: false,
      promptTokensEstimate: built.estimatedTokens,
      rewrite: (content) => normaliseTaskReply(task, content, messages),
      prepare: async (loaded) => {
        await syncFunctionTools(loaded, null);
        // keep_history=0: the task must not become part of the user's conversation. Whether the
        // runtime keeps the conversation around such a run is not documented, so the cache size
        // is compared before and after; on any doubt the conversation record is dropped.
        const conversation = loaded.conversation;
        let before: number | null = null;
        if (conversation && conversationTokens(conversation) + built.estimatedTokens <= budget) {
          before = await loaded.npu.kvCacheSize();
        } else if (conversation) {
          await loaded.npu.clearKvCache(false);
        }
        loaded.conversation = null;
        return {
          prompt: built.prompt,
          keepHistory: false,
          kv: `task:${task}`,
          after: async (o) => {
            if (!conversation || before === null || o.error) return;
            const now = await loaded.npu.kvCacheSize();
            if (now === before) loaded.conversation = conversation;
          },
        };
      },
    }, signal);
  }

  async #run(
    req: ChatRequest,
    entry: ModelEntry,
    ignoredParams: string[],
    spec: TurnSpec,
    signal?: AbortSignal,
  ): Promise<ChatGeneration> {
    const lease = await this.#scheduler.acquire(signal);
    try {
      const loaded = await this.#load(lease, entry);
      // The client may have gone while the model loaded: do not generate for nobody.
      signal?.throwIfAborted();
      const turn = await spec.prepare(loaded);
      this.#log.info("engine", "run", {
        id: req.requestId,
        model: entry.id,
        kind: spec.kind,
        kv: turn.kv,
        sent_chars: turn.prompt.length,
        thinking: spec.enableThinking,
      });
      this.#log.debug("engine", "prompt", { id: req.requestId, prompt: turn.prompt });
      const run = loaded.npu.run({
        prompt: turn.prompt,
        role: turn.role ?? "user",
        enableThinking: spec.enableThinking,
        keepHistory: turn.keepHistory,
        ...(this.#opts.perRunSampling
          ? { sampling: spec.sampling, maxNewTokens: spec.maxTokens }
          : {}),
      });
      lease.onInterrupt = () => run.abort();
      const started = performance.now();
      const generation = startGeneration(run, {
        maxTokens: spec.maxTokens,
        runtimeMaxTokens: entry.maxNewTokens,
        stop: spec.stop,
        firstTokenTimeoutMs: this.#opts.firstTokenTimeoutMs,
        totalTimeoutMs: this.#opts.totalTimeoutMs,
        implicitThink: spec.implicitThink,
        promptTokensEstimate: spec.promptTokensEstimate,
        toolCalls: spec.toolCalls ? new ToolCallParser(newCallId) : undefined,
      }, async (outcome) => {
        try {
          await turn.after(outcome);
        } catch (err) {
          loaded.conversation = null;
          this.#log.warn("engine", "could not update the KV-cache record", {
            id: req.requestId,
            error: String(err),
          });
        } finally {
          lease.release();
        }
        const perf = outcome.perf;
        const result = outcome.error ? "error" : outcome.clean ? "finish" : "aborted";
        this.#opts.observer?.runEnded?.({
          model: entry.id,
          kind: spec.kind,
          promptTokens: perf?.prefillTokens ?? spec.promptTokensEstimate,
          completionTokens: perf?.generateTokens ?? outcome.tokens,
          prefillSeconds: perf ? perf.prefillMs / 1000 : null,
          decodeSeconds: perf ? perf.generateMs / 1000 : null,
          result,
        });
        this.#log.info("engine", "run ended", {
          id: req.requestId,
          result,
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
        events: spec.rewrite ? rewritten(generation.events, spec.rewrite) : generation.events,
        cancel: generation.cancel,
      };
    } catch (err) {
      lease.release();
      throw err;
    }
  }
}

/**
 * Sets the runtime's function tools when they differ from what is set (`null` = none; empty
 * strings switch them off). Returns true when they changed: the chat template changed, so the
 * cached conversation no longer applies.
 */
async function syncFunctionTools(
  loaded: LoadedModel,
  tools: { system: string; json: string; key: string } | null,
): Promise<boolean> {
  const key = tools?.key ?? "";
  if (loaded.functionTools === key) return false;
  await loaded.npu.setFunctionTools(
    tools?.system ?? "",
    tools?.json ?? "",
    tools ? TOOL_RESPONSE_TAG : "",
  );
  loaded.functionTools = key;
  loaded.conversation = null;
  return true;
}

/**
 * The runtime reads prompts as C strings: a NUL would silently end the prompt there (dropping,
 * say, the question after a system prompt), so NULs are removed from all text first.
 */
function stripNul(text: string): string {
  return text.includes("\0") ? text.replaceAll("\0", "") : text;
}

function withoutNul(messages: readonly ChatMessage[]): ChatMessage[] {
  return messages.map((
    m,
  ) => (m.content.includes("\0") ? { ...m, content: stripNul(m.content) } : m));
}

function newCallId(): string {
  return `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

/** Holds a reply back and emits `rewrite(content)` as one piece before `done`. */
async function* rewritten(
  events: AsyncGenerator<ChatEvent>,
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

export type { CachedConversation };
