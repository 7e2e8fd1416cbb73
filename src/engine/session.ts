/**
 * ModelSession: the only owner of what a loaded model's KV cache holds and of the function tools
 * set on its runtime. Before a run, `prepare(plan)` decides what to send (the new turn on top of
 * the cached conversation, the state of a saved file, or a cold prompt after clearing the cache)
 * and puts the runtime in that state; after the run, `commit(outcome)` records what the cache
 * now holds. Any doubt (an unclean end, a refused call, a size that is not what it should be)
 * forgets the record, so the next turn starts cold: the model must never see a stale, partial or
 * duplicated history. What the runtime can do was measured once (calibrate.ts); a call it
 * refuses later is remembered and the next cheapest strategy used.
 *
 * Knows the NPU only through the plain interface of src/rkllm/npu.ts.
 */
import type { Logger } from "../log.ts";
import type { NpuModel, NpuRunInput } from "../rkllm/npu.ts";
import type { CollectedImage } from "../vision/images.ts";
import { jsonObjectEnd } from "../tasks/json_end.ts";
import { type CacheTraits, calibrate, taskStrategy, UNKNOWN_TRAITS } from "./calibrate.ts";
import type { GenerationOutcome } from "./generation.ts";
import {
  afterCleanRun,
  assistantText,
  type CachedConversation,
  decideKv,
  type KvDecision,
} from "./kv_cache.ts";
import { type FunctionTools, type NpuTurnPlan, TOOL_RESPONSE_TAG } from "./plan.ts";
import type { PromptFileStore } from "./prompt_files.ts";
import { conversationTokens, estimateTokens } from "./prompt.ts";

/** What the session prepared: a run, or an answer that needs none (a task shortcut). */
export type PreparedTurn =
  | {
    kind: "run";
    input: Pick<NpuRunInput, "prompt" | "role" | "keepHistory" | "pauseWhen" | "saveCacheTo">;
    /** The images the prompt's placeholders stand for, in order (to encode under the lease). */
    images?: readonly CollectedImage[];
    /** For the log line: incremental, reset, file, task:… */
    kv: string;
  }
  | { kind: "replay"; content: string; kv: string };

/** How the cache record changes once the run has ended. */
type Pending = (outcome: GenerationOutcome) => Promise<CachedConversation | null>;

/**
 * The runtime refused a call (or would refuse it: it did before); only a fresh load of the model
 * gets it to the wanted state.
 */
export class ReloadNeeded extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = "ReloadNeeded";
  }
}

/** What all sessions of one runtime share. */
interface SessionContext {
  /** The measured behaviour of the runtime (unknown until calibrated). */
  traits: CacheTraits;
  /** `rkllm_set_function_tools` with empty strings was refused: tools go off by a reload. */
  emptyToolsRefused: boolean;
  files: PromptFileStore | null;
  log: Logger;
}

export class ModelSession {
  readonly #npu: NpuModel;
  readonly #model: string;
  /** Positions the model's context holds. */
  readonly #contextLength: number;
  readonly #ctx: SessionContext;
  /** What the runtime's KV cache holds; null = unknown or empty. */
  #held: CachedConversation | null = null;
  /** The function tools set on the runtime ("" = none). */
  #toolsKey = "";
  #pending: Pending | null = null;

  constructor(npu: NpuModel, model: string, contextLength: number, ctx: SessionContext) {
    this.#npu = npu;
    this.#model = model;
    this.#contextLength = contextLength;
    this.#ctx = ctx;
  }

  /** The conversation the cache holds, for tests and diagnostics. */
  get held(): CachedConversation | null {
    return this.#held;
  }

  /** Puts the runtime in the state `plan` needs and says what to send. */
  async prepare(plan: NpuTurnPlan): Promise<PreparedTurn> {
    const toolsChanged = await this.#syncTools(plan.tools);
    const held = this.#held;
    // Until commit, the record is unknown: a failure in between must not leave a stale one.
    this.#held = null;
    const traits = this.#ctx.traits;
    if (plan.kind === "task") return await this.#prepareTask(plan, held, traits);

    let base = held;
    let kv: KvDecision = toolsChanged ? { mode: "reset" } : decideKv(base, plan.conversation);
    let label = "incremental";
    if (kv.mode === "reset" && traits.promptFiles) {
      base = await this.#restore(plan.conversation);
      if (base) {
        kv = decideKv(base, plan.conversation);
        label = "file";
      }
    }
    const retrieved = plan.retrieved;
    // The runtime's cache only grows: once it could overflow, start over with trimmed history.
    // What it holds is measured where the runtime tells (the estimate is deliberately high).
    if (kv.mode === "incremental") {
      const sent = retrieved ? plan.promptTokensEstimate : estimateTokens(kv.message);
      const held = (traits.sizeKnown ? await this.#npu.kvCacheSize() : null) ??
        (retrieved ? conversationTokens(base!) : conversationTokens(plan.conversation) - sent);
      if (held + sent > plan.budget) kv = { mode: "reset" };
    }

    const save = traits.promptFiles ? this.#ctx.files?.newPath() : undefined;
    const extra = retrieved?.extraTokens ?? 0;
    const holds = kv.mode === "incremental" || plan.coldHoldsConversation;
    this.#pending = async (o) => {
      const whole = o.clean || (traits.abortKeepsAll && stoppedWithAnswer(o));
      const after = whole && holds
        ? afterCleanRun(plan.conversation, assistantText(o.content, o.toolCalls), extra)
        : null;
      if (save) await this.#keepFile(save, after);
      return after;
    };
    if (kv.mode === "incremental") {
      return {
        kind: "run",
        input: {
          prompt: retrieved ? retrieved.prompt : kv.message,
          role: retrieved ? "user" : kv.role,
          keepHistory: true,
          saveCacheTo: save,
        },
        images: plan.images.added,
        kv: label,
      };
    }
    await this.#npu.clearKvCache(false);
    return {
      kind: "run",
      input: { prompt: plan.coldPrompt, role: "user", keepHistory: true, saveCacheTo: save },
      images: plan.images.cold,
      kv: "reset",
    };
  }

  /** Loads the saved state `request` continues, if there is one and it loads exactly. */
  async #restore(request: CachedConversation): Promise<CachedConversation | null> {
    const files = this.#ctx.files;
    const file = files?.continuedBy(this.#fileKey(), request);
    if (!files || !file) return null;
    try {
      await this.#npu.loadPromptCache(file.path);
      await this.#npu.releasePromptCache().catch(() => {});
      if ((await this.#npu.kvCacheSize()) === file.positions) return file.conversation;
    } catch (err) {
      this.#ctx.log.warn("session", "prompt-cache file refused", { error: String(err) });
    }
    await files.discard(file.path);
    return null;
  }

  /** Registers the file a clean run saved, or deletes it. */
  async #keepFile(path: string, held: CachedConversation | null): Promise<void> {
    const files = this.#ctx.files!;
    const positions = held ? await this.#npu.kvCacheSize() : null;
    if (held && positions) {
      await files.add({ path, model: this.#fileKey(), conversation: held, positions });
    } else {
      await files.discard(path);
    }
  }

  /** Saved caches are only valid for this model under the same tool template. */
  #fileKey(): string {
    return `${this.#model}\u0000${this.#toolsKey}`;
  }

  async #prepareTask(
    plan: NpuTurnPlan,
    held: CachedConversation | null,
    traits: CacheTraits,
  ): Promise<PreparedTurn> {
    const cont = plan.continuation;
    if (!cont) return await this.#prepareModelTask(plan, held);
    /** Answered without the NPU; the cache keeps what it held. */
    const skip = (): PreparedTurn => {
      this.#held = held;
      return { kind: "replay", content: cont.fallback, kv: `task:${plan.task}:shortcut` };
    };
    // Not the cached chat: a full prefill for a suggestion is not worth it.
    if (!held || !cont.matches(held.turns)) return skip();
    const strategy = taskStrategy(traits);
    const before = await this.#npu.kvCacheSize();
    const positions = before ?? conversationTokens(held);
    const fits = positions + cont.promptTokens + plan.maxTokens <= this.#contextLength;
    const file = strategy === "file" ? this.#ctx.files?.exact(this.#fileKey(), held) : undefined;
    // Without a way back, a task run would cost the chat its cache where a keep_history=0 run
    // is known to empty it, or where the task does not fit: then the suggestion is skipped.
    if (!fits || (strategy === "none" && traits.keep0 === "clear")) return skip();
    if (strategy === "none" || (strategy === "file" && !file)) {
      return await this.#prepareModelTask(plan, held);
    }
    const backTo = async (): Promise<CachedConversation | null> =>
      (await this.#npu.kvCacheSize()) === before ? held : null;
    const kv = `task:${plan.task}:${strategy}`;
    const run = (input: Partial<NpuRunInput>): PreparedTurn => ({
      kind: "run",
      input: { prompt: cont.instruction, role: "user", keepHistory: false, ...input },
      kv,
    });
    /** Undoes the task's positions; a refusal is remembered and leaves no record. */
    const undo = async (
      trait: "rangeClear" | "promptFiles",
      operation: () => Promise<void>,
    ): Promise<CachedConversation | null> => {
      try {
        await operation();
      } catch (err) {
        this.#refused(traits, trait, err);
        return null;
      }
      return await backTo();
    };
    if (strategy === "rollback") {
      this.#pending = (o) => (o.error ? Promise.resolve(null) : backTo());
      return run({});
    }
    if (strategy === "pause-clear") {
      const ended = jsonObjectEnd();
      let tokens = 0;
      this.#pending = async (o) => {
        if (!o.paused) return o.error ? null : await backTo();
        const now = await this.#npu.kvCacheSize();
        return await undo("rangeClear", () => this.#npu.clearKvCacheRange(before!, now!));
      };
      return run({ pauseWhen: (text) => ended(text) >= 0 || ++tokens >= plan.maxTokens });
    }
    // "file": the task runs as an ordinary next turn; the saved chat state comes back after it.
    this.#pending = () =>
      undo("promptFiles", async () => {
        await this.#npu.loadPromptCache(file!.path);
        await this.#npu.releasePromptCache().catch(() => {});
      });
    return run({ keepHistory: true });
  }

  /**
   * A task run on the model with its whole prompt, keep_history=0: it must not become part of
   * the user's conversation. The cache size before and after tells whether the conversation
   * survived it; on any doubt the record is dropped.
   */
  async #prepareModelTask(
    plan: NpuTurnPlan,
    held: CachedConversation | null,
  ): Promise<PreparedTurn> {
    let before: number | null = null;
    if (held && conversationTokens(held) + plan.promptTokensEstimate <= plan.budget) {
      before = await this.#npu.kvCacheSize();
    } else if (held) {
      await this.#npu.clearKvCache(false);
    }
    this.#pending = async (o) => {
      if (!held || before === null || o.error) return null;
      return (await this.#npu.kvCacheSize()) === before ? held : null;
    };
    return {
      kind: "run",
      input: { prompt: plan.coldPrompt, role: "user", keepHistory: false },
      kv: `task:${plan.task}`,
    };
  }

  /** The runtime refused what calibration saw it accept: remember it for every session. */
  #refused(traits: CacheTraits, trait: "rangeClear" | "promptFiles", err: unknown): void {
    traits[trait] = false;
    this.#ctx.log.warn("session", "runtime refused a cache operation; using the next strategy", {
      operation: trait,
      strategy: taskStrategy(traits),
      error: String(err),
    });
  }

  /**
   * A run outside the conversation (embeddings): keep_history=0 may leave the cache empty, so
   * the record is dropped; the tools are switched off.
   */
  async prepareSideRun(): Promise<void> {
    await this.#syncTools(null);
    this.#held = null;
    this.#pending = null;
  }

  /** Records what the cache holds after the run `prepare` set up. */
  async commit(outcome: GenerationOutcome): Promise<void> {
    const pending = this.#pending;
    this.#pending = null;
    this.#held = null;
    if (pending) this.#held = await pending(outcome);
  }

  /** Drops the record: the next turn starts from an empty cache. */
  forget(): void {
    this.#held = null;
    this.#pending = null;
  }

  /**
   * Sets the runtime's function tools when they differ from what is set (null = none; empty
   * strings switch them off). Returns true when they changed: the chat template changed, so the
   * cached conversation no longer applies.
   */
  async #syncTools(tools: FunctionTools | null): Promise<boolean> {
    const key = tools?.key ?? "";
    if (this.#toolsKey === key) return false;
    this.#held = null;
    if (!tools && this.#ctx.emptyToolsRefused) {
      throw new ReloadNeeded("this runtime switches function tools off only by a reload");
    }
    try {
      await this.#npu.setFunctionTools(
        tools?.system ?? "",
        tools?.json ?? "",
        tools ? TOOL_RESPONSE_TAG : "",
      );
    } catch (err) {
      if (!tools) this.#ctx.emptyToolsRefused = true;
      throw new ReloadNeeded(`rkllm_set_function_tools was refused: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.#toolsKey = key;
    return true;
  }
}

/**
 * One session per loaded model (a reload is a new model object, so it starts a new session),
 * and the runtime's measured traits, shared by all of them: calibrated once, on the first chat
 * model loaded, while its cache is still empty.
 */
export class ModelSessions {
  readonly #byModel = new WeakMap<NpuModel, ModelSession>();
  readonly #ctx: SessionContext;
  #calibration: "pending" | "done" | "off";

  constructor(
    log: Logger,
    opts: { files?: PromptFileStore | null; calibrate?: boolean; traits?: CacheTraits } = {},
  ) {
    this.#ctx = {
      files: opts.files ?? null,
      log,
      traits: { ...(opts.traits ?? UNKNOWN_TRAITS) },
      emptyToolsRefused: false,
    };
    this.#calibration = opts.traits || opts.calibrate === false ? "off" : "pending";
  }

  /** The session of a loaded model, without calibrating (embeddings). */
  of(npu: NpuModel, model: { id: string; contextLength: number }): ModelSession {
    let session = this.#byModel.get(npu);
    if (!session) {
      session = new ModelSession(npu, model.id, model.contextLength, this.#ctx);
      this.#byModel.set(npu, session);
    }
    return session;
  }

  /** The session of a chat model; the first fresh one calibrates the runtime. */
  async ready(npu: NpuModel, model: { id: string; contextLength: number }): Promise<ModelSession> {
    const fresh = !this.#byModel.has(npu);
    const session = this.of(npu, model);
    if (fresh && this.#calibration === "pending") {
      this.#calibration = "done";
      try {
        Object.assign(this.#ctx.traits, await calibrate(npu, this.#ctx.files));
      } catch (err) {
        this.#ctx.log.warn("session", "calibration failed; no cache strategy", {
          error: String(err),
        });
      }
      this.#ctx.log.info("session", "runtime cache behaviour measured", { ...this.describe() });
    }
    return session;
  }

  /** The measured traits and the task strategy they allow (for /health and the log). */
  describe(): CacheTraits & { taskStrategy: string } {
    const t = this.#ctx.traits;
    return { ...t, taskStrategy: taskStrategy(t) };
  }
}

/**
 * A run the client stopped: the runtime kept the prompt and every token it delivered (when it
 * was measured to), and all of them went into the answer text. If the client saved exactly that
 * partial answer, the next turn continues on it; any difference makes it a reset.
 */
function stoppedWithAnswer(o: GenerationOutcome): boolean {
  return o.stopped === "client" && !o.wedged && o.runtimeError === null &&
    o.content.trim() !== "" && o.toolCalls.length === 0;
}
