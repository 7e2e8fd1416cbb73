/**
 * The engine's vocabulary, shared by the HTTP layer and the engine: a chat request after
 * validation, and the events a generation produces. No OpenAI wire shapes and no FFI types.
 * Imports only the message vocabulary of src/chat.
 */
import type { ChatMessage, ToolCall, ToolDefinition } from "../chat/messages.ts";

export interface ChatRequest {
  /** Id used in logs and the response `id`. */
  requestId: string;
  /** The model name as the client sent it (alias or id). */
  model: string;
  messages: ChatMessage[];
  /** Upper bound on generated tokens for this request; undefined = the model's limit. */
  maxTokens?: number;
  stop: string[];
  /** Per-request thinking switch (chat_template_kwargs, reasoning_effort); undefined = model default. */
  enableThinking?: boolean;
  /** Sampling fields the client sent; reported, since runtime 1.2.3 only takes them at load. */
  sampling: Partial<Record<SamplingField, number>>;
  /** Functions the model may call; empty or absent = no tool calling. */
  tools?: ToolDefinition[];
  /** "none" disables tool calls for this request even when tools are given. */
  toolChoice?: "none" | "auto" | "required";
}

export const SAMPLING_FIELDS = [
  "temperature",
  "top_p",
  "top_k",
  "repeat_penalty",
  "frequency_penalty",
  "presence_penalty",
] as const;
export type SamplingField = typeof SAMPLING_FIELDS[number];

export type FinishReason = "stop" | "length" | "tool_calls";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** What a generation yields, in order: deltas, then exactly one `done` or `error`. */
export type ChatEvent =
  | { type: "reasoning"; text: string }
  | { type: "content"; text: string }
  | { type: "tool_calls"; calls: ToolCall[] }
  | { type: "done"; finishReason: FinishReason; usage: Usage }
  | { type: "error"; error: Error };

/** A generation that holds the NPU: iterate `events`; `cancel()` when the client goes away. */
export interface ChatGeneration {
  readonly requestId: string;
  /** Canonical model id. */
  readonly model: string;
  /** Per-request parameters the runtime could not apply (for a response header). */
  readonly ignoredParams: string[];
  readonly events: AsyncIterable<ChatEvent>;
  cancel(): void;
}

export interface EngineStatus {
  loadedModel: string | null;
  loadingModel: string | null;
  busy: boolean;
  queued: number;
  /** Why the NPU can no longer be used (a run never returned); absent while healthy. */
  wedged?: string;
  /** What the runtime's KV cache was measured to do, and the task strategy that follows. */
  kvCache?: Record<string, boolean | string>;
  /**
   * When the idle unload will unload the loaded model (epoch ms) if no request comes first;
   * while a request holds the NPU, the time it would be if that request ended now. null: idle
   * unloading is off, or no model is loaded. Absent: not known (`/api/ps` then shows no expiry).
   */
  idleUnloadAt?: number | null;
}

/** A model as the HTTP layer shows it. */
export interface ModelInfo {
  id: string;
  aliases: string[];
  contextLength: number;
  capabilities: string[];
  sizeBytes: number;
  fileName: string;
}

/** What the HTTP layer needs from the engine; ChatEngine implements it, tests fake it. */
export interface ChatService {
  /** Chat-capable models in registry order. */
  listModels(): ModelInfo[];
  /** Resolves an id or alias; undefined when unknown. */
  findModel(name: string): ModelInfo | undefined;
  /**
   * Like `findModel`, but also finds embedding-only (`skip_chat`) models: for the context limit
   * of `/api/embed` and for `/api/ps` when such a model is loaded. Absent: `findModel` is used.
   */
  describeModel?(name: string): ModelInfo | undefined;
  status(): EngineStatus;
  /** Waits for the NPU, loads the model, starts the run. Rejects with an ApiError (by kind). */
  start(req: ChatRequest, signal?: AbortSignal): Promise<ChatGeneration>;
  /** Loads a model through the queue; returns its canonical id. */
  select(name: string, signal?: AbortSignal): Promise<string>;
  /** Unloads through the queue; returns the unloaded id or null. */
  unload(signal?: AbortSignal): Promise<string | null>;
  /** Unit-length embeddings of `inputs` (any model, chat or embedding-only). */
  embed(
    model: string,
    inputs: readonly string[],
    opts?: { dimensions?: number; signal?: AbortSignal },
  ): Promise<EmbeddingResult>;
}

export interface EmbeddingResult {
  /** Canonical model id. */
  model: string;
  vectors: Float32Array[];
  promptTokens: number;
}

/** Hooks the engine and scheduler call for metrics; all optional, all synchronous and cheap. */
export interface EngineObserver {
  queueWait?(seconds: number): void;
  modelLoaded?(model: string, seconds: number): void;
  runEnded?(run: {
    model: string;
    kind: string;
    promptTokens: number;
    completionTokens: number;
    prefillSeconds: number | null;
    decodeSeconds: number | null;
    result: "finish" | "aborted" | "error";
  }): void;
}
