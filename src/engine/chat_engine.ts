/**
 * The engine behind the HTTP layer (`ChatService`). A chat request flows plan → session → run:
 * `planTurn` (plan.ts) decides what the turn is; an answer that needs no NPU (a task shortcut, a
 * cached RAG answer) is replayed; anything else runs under a lease (run.ts), where the model's
 * session (session.ts) decides what the KV cache lets it send. Embeddings (embedder.ts) and
 * select/unload (admin.ts) have their own modules; this class wires them and the model catalog.
 *
 * Knows nothing of HTTP wire formats or FFI.
 */
import { ModelNotFoundError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ModelEntry, ModelRegistry } from "../models/registry.ts";
import type { RagCache } from "../rag/cache.ts";
import type { TaskKind } from "../tasks/detect.ts";
import type { TaskMode } from "../tasks/settings.ts";
import { type LoadSettings, NpuAdmin } from "./admin.ts";
import { Embedder } from "./embedder.ts";
import { type PlanNote, planTurn } from "./plan.ts";
import { replayGeneration } from "./replay.ts";
import { TurnRunner, type TurnRunnerOptions } from "./run.ts";
import type { Scheduler } from "./scheduler.ts";
import type { PromptFileStore } from "./prompt_files.ts";
import { ModelSessions } from "./session.ts";
import type {
  ChatGeneration,
  ChatRequest,
  ChatService,
  EmbeddingResult,
  EngineStatus,
  ModelInfo,
} from "./types.ts";

/** The engine's settings: the turn runner's (timeouts, abort grace, vision, …) and its own. */
export interface ChatEngineOptions extends LoadSettings, TurnRunnerOptions {
  /** Called after a model failed to load (a rescan of the models folder). */
  onLoadFailed?: () => Promise<unknown>;
  taskModes: Readonly<Record<TaskKind, TaskMode>>;
  taskMaxTokens: number;
  /** Answers to RAG questions, replayed while the sources stay the same. */
  ragCache: RagCache<CachedAnswer>;
  /** Saved KV caches per conversation state; null = none. */
  promptFiles?: PromptFileStore | null;
  /** Measure the runtime's cache behaviour at the first load (default true). */
  calibrate?: boolean;
}

export interface CachedAnswer {
  content: string;
  reasoning: string;
}

export class ChatEngine implements ChatService {
  readonly #registry: ModelRegistry;
  readonly #scheduler: Scheduler;
  readonly #opts: ChatEngineOptions;
  readonly #log: Logger;
  readonly #admin: NpuAdmin;
  readonly #runner: TurnRunner;
  readonly #embedder: Embedder;
  readonly #sessions: ModelSessions;

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
    const sessions = new ModelSessions(log, {
      files: opts.promptFiles,
      calibrate: opts.calibrate,
    });
    this.#sessions = sessions;
    this.#admin = new NpuAdmin(scheduler, {
      cpuMask: opts.cpuMask,
      baseDomainId: opts.baseDomainId,
      embedFlash: opts.embedFlash,
      visionCoreMask: opts.visionCoreMask,
    }, opts.onLoadFailed);
    const parts = { admin: this.#admin, sessions, log };
    this.#runner = new TurnRunner(parts, opts);
    this.#embedder = new Embedder(registry, parts, opts.totalTimeoutMs);
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

  describeModel(name: string): ModelInfo | undefined {
    const entry = this.#registry.resolve(name);
    return entry && this.#info(entry);
  }

  status(): EngineStatus {
    return {
      ...this.#scheduler.status(),
      idleUnloadAt: this.#scheduler.idleUnloadAt(),
      kvCache: { ...this.#sessions.describe() },
    };
  }

  #resolve(name: string): ModelEntry {
    const entry = this.#registry.resolve(name);
    if (!entry || entry.skipChat) {
      throw new ModelNotFoundError(name, this.listModels().map((m) => m.id));
    }
    return entry;
  }

  embed(
    name: string,
    inputs: readonly string[],
    opts?: { dimensions?: number; signal?: AbortSignal },
  ): Promise<EmbeddingResult> {
    return this.#embedder.embed(name, inputs, opts);
  }

  async select(name: string, signal?: AbortSignal): Promise<string> {
    return await this.#admin.select(this.#resolve(name), signal);
  }

  unload(signal?: AbortSignal): Promise<string | null> {
    return this.#admin.unload(signal);
  }

  async start(req: ChatRequest, signal?: AbortSignal): Promise<ChatGeneration> {
    const entry = this.#resolve(req.model);
    const plan = planTurn(req, entry, this.#opts);
    this.#note(req.requestId, plan.notes);
    if (plan.kind === "replay") {
      return replayGeneration({
        requestId: req.requestId,
        model: entry.id,
        content: plan.content,
        promptText: plan.promptText,
      });
    }
    const retrieved = plan.retrieved;
    if (!retrieved) return await this.#runner.run(req.requestId, entry, plan, signal);

    const cache = this.#opts.ragCache;
    const key = cache.key(entry.id, retrieved.cacheKey.question, retrieved.cacheKey.context);
    const cached = cache.get(key);
    if (cached !== undefined) {
      this.#log.info("rag", "cache hit", { id: req.requestId, model: entry.id });
      return replayGeneration({
        requestId: req.requestId,
        model: entry.id,
        ...cached,
        promptText: retrieved.prompt,
      });
    }
    return await this.#runner.run(req.requestId, entry, plan, signal, (o) => {
      if (o.clean && o.content) cache.set(key, { content: o.content, reasoning: o.reasoning });
    });
  }

  #note(requestId: string, notes: readonly PlanNote[]): void {
    for (const n of notes) this.#log.info(n.component, n.message, { id: requestId, ...n.fields });
  }
}
