/**
 * ModelSession: the only owner of what a loaded model's KV cache holds and of the function tools
 * set on its runtime. Before a run, `prepare(plan)` decides what to send (the new turn on top of
 * the cached conversation, or a cold prompt after clearing the cache) and puts the runtime in
 * that state; after the run, `commit(outcome)` records what the cache now holds. Any doubt
 * (an unclean end, a failed call, a changed template) forgets the record, so the next turn
 * starts cold: the model must never see a stale or partial history.
 *
 * Knows the NPU only through the plain interface of src/rkllm/npu.ts.
 */
import type { NpuModel, NpuRunInput } from "../rkllm/npu.ts";
import type { GenerationOutcome } from "./generation.ts";
import {
  afterCleanRun,
  assistantText,
  type CachedConversation,
  decideKv,
  type KvDecision,
} from "./kv_cache.ts";
import { type FunctionTools, type NpuTurnPlan, TOOL_RESPONSE_TAG } from "./plan.ts";
import { conversationTokens } from "./prompt.ts";

/** What to run, as the session prepared it. */
export interface PreparedRun {
  input: Pick<NpuRunInput, "prompt" | "role" | "keepHistory">;
  /** For the log line: incremental, reset, task:… */
  kv: string;
}

/** How the cache record changes once the run has ended. */
type Pending = (outcome: GenerationOutcome) => Promise<CachedConversation | null>;

export class ModelSession {
  readonly #npu: NpuModel;
  /** What the runtime's KV cache holds; null = unknown or empty. */
  #held: CachedConversation | null = null;
  /** The function tools set on the runtime ("" = none). */
  #toolsKey = "";
  #pending: Pending | null = null;

  constructor(npu: NpuModel) {
    this.#npu = npu;
  }

  /** The conversation the cache holds, for tests and diagnostics. */
  get held(): CachedConversation | null {
    return this.#held;
  }

  /** Puts the runtime in the state `plan` needs and says what to send. */
  async prepare(plan: NpuTurnPlan): Promise<PreparedRun> {
    const toolsChanged = await this.#syncTools(plan.tools);
    const held = this.#held;
    // Until commit, the record is unknown: a failure in between must not leave a stale one.
    this.#held = null;
    if (plan.kind === "task") return await this.#prepareTask(plan, held);

    let kv: KvDecision = toolsChanged ? { mode: "reset" } : decideKv(held, plan.conversation);
    const retrieved = plan.retrieved;
    // The runtime's cache only grows: once it could overflow, start over with trimmed history.
    const grown = retrieved
      ? (held ? conversationTokens(held) : 0) + plan.promptTokensEstimate
      : conversationTokens(plan.conversation);
    if (kv.mode === "incremental" && grown > plan.budget) kv = { mode: "reset" };

    const extra = retrieved?.extraTokens ?? 0;
    if (kv.mode === "incremental") {
      this.#pending = (o) =>
        Promise.resolve(
          o.clean
            ? afterCleanRun(plan.conversation, assistantText(o.content, o.toolCalls), extra)
            : null,
        );
      return {
        input: {
          prompt: retrieved ? retrieved.prompt : kv.message,
          role: retrieved ? "user" : kv.role,
          keepHistory: true,
        },
        kv: "incremental",
      };
    }
    await this.#npu.clearKvCache(false);
    this.#pending = (o) =>
      Promise.resolve(
        o.clean && plan.coldHoldsConversation
          ? afterCleanRun(plan.conversation, assistantText(o.content, o.toolCalls), extra)
          : null,
      );
    return { input: { prompt: plan.coldPrompt, role: "user", keepHistory: true }, kv: "reset" };
  }

  /**
   * keep_history=0: the task must not become part of the user's conversation. Whether the
   * runtime keeps the conversation around such a run is not documented, so the cache size is
   * compared before and after; on any doubt the conversation record is dropped.
   */
  async #prepareTask(
    plan: NpuTurnPlan,
    held: CachedConversation | null,
  ): Promise<PreparedRun> {
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
      input: { prompt: plan.coldPrompt, role: "user", keepHistory: false },
      kv: `task:${plan.task}`,
    };
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
    await this.#npu.setFunctionTools(
      tools?.system ?? "",
      tools?.json ?? "",
      tools ? TOOL_RESPONSE_TAG : "",
    );
    this.#toolsKey = key;
    return true;
  }
}

/** One session per loaded model: a reload is a new model object, so it starts a new session. */
export class ModelSessions {
  readonly #byModel = new WeakMap<NpuModel, ModelSession>();

  of(npu: NpuModel): ModelSession {
    let session = this.#byModel.get(npu);
    if (!session) {
      session = new ModelSession(npu);
      this.#byModel.set(npu, session);
    }
    return session;
  }
}
