/**
 * The seam between the engine and the NPU runtime, in plain TypeScript types: what the domain
 * may ask of the runtime (the language model, and a vision model's image encoder). `runtime.ts`
 * implements these interfaces with FFI; tests implement them with fakes. No pointers here; the
 * only import is the encoder's interface, itself a leaf: this is the door the domain uses.
 */
import type { VisionEncoder, VisionEncoderOptions } from "./rknn/vision_encoder.ts";

export type { EncoderInput, VisionEncoder, VisionEncoderOptions } from "./rknn/vision_encoder.ts";

/** The placeholder a multimodal prompt carries once per image, in image order. */
export const IMAGE_PLACEHOLDER = "<image>";

/**
 * A vision model's image marker strings (Qwen2.5-VL: `<|vision_start|>`, `<|vision_end|>`,
 * `<|image_pad|>`): the runtime replaces each placeholder with start + tokens × content + end.
 */
export interface ImageTags {
  start: string;
  end: string;
  content: string;
}

/** Sampling values in the runtime's terms (set at load, or per run on runtimes that take it). */
export interface SamplingParams {
  topK: number;
  topP: number;
  temperature: number;
  repeatPenalty: number;
  frequencyPenalty: number;
  presencePenalty: number;
}

/** Everything `rkllm_init` needs, already resolved from settings and the model's config. */
export interface ModelLoadParams {
  modelPath: string;
  contextLength: number;
  maxNewTokens: number;
  sampling: SamplingParams;
  cpuMask: number;
  baseDomainId: number;
  embedFlash: boolean;
  /**
   * A vision model's markers. Runtimes that read them at init (1.2.3 `RKLLMParam.img_*`) get
   * them here, and a multimodal run must then carry the same ones.
   */
  imageTags?: ImageTags;
}

/** A turn's images, encoded: what a multimodal input carries besides its prompt. */
export interface NpuImages {
  /** count × tokensPerImage rows of the encoder's output (its floats per row), in prompt order. */
  embeddings: Float32Array<ArrayBuffer>;
  count: number;
  tokensPerImage: number;
  /** The encoder's input size (the runtime derives position ids from it). */
  width: number;
  height: number;
  tags: ImageTags;
}

export interface NpuRunInput {
  prompt: string;
  role: "user" | "tool";
  enableThinking: boolean;
  /** Keep this turn in the runtime's KV cache (multi-turn reuse). */
  keepHistory: boolean;
  /** Per-run sampling and token limit; only backends with `perRunSampling` apply them. */
  sampling?: SamplingParams;
  maxNewTokens?: number;
  /** "hidden": no generation; the run yields the last token's final hidden state. */
  mode?: "generate" | "hidden";
  /**
   * Asked with each token's text as it arrives (synchronously, inside the runtime's callback);
   * true pauses the run right there: generation stops and the KV cache keeps everything so far,
   * even with keep_history=0, until the next call changes it. The run then ends with `paused`.
   */
  pauseWhen?: (text: string) => boolean;
  /** Save the KV cache to this file at the end of the run (a prompt-cache file). */
  saveCacheTo?: string;
  /**
   * Prefill these images with the prompt (a multimodal input): the prompt then holds exactly
   * `images.count` placeholders (`IMAGE_PLACEHOLDER`), where each image goes.
   */
  images?: NpuImages;
}

/** Figures the runtime reports when a run finishes normally. */
export interface PerfStats {
  prefillMs: number;
  prefillTokens: number;
  generateMs: number;
  generateTokens: number;
  memoryMb: number;
}

/**
 * What a run produces, in order: any number of `text` events (a `hidden` event in hidden-state
 * mode), then exactly one terminal event.
 * `finish` = the runtime reported completion; `paused` = `pauseWhen` stopped it; `aborted` = the
 * run returned after an abort without reporting completion; `error` = the runtime reported a
 * failure.
 */
export type NpuEvent =
  | { type: "text"; text: string }
  | { type: "hidden"; vector: Float32Array; tokens: number }
  | { type: "finish"; perf: PerfStats }
  | { type: "paused" }
  | { type: "aborted" }
  | { type: "error"; message: string };

export interface NpuRun {
  readonly events: ReadableStream<NpuEvent>;
  /** Asks the runtime to stop; idempotent, safe after the run ended. */
  abort(): void;
  /** Settles once the native call and any abort call have returned: only then is the NPU free. */
  readonly settled: Promise<void>;
}

export interface NpuModel {
  run(input: NpuRunInput): NpuRun;
  /** Empties the runtime's KV cache (no run may be active). */
  clearKvCache(keepSystemPrompt: boolean): Promise<void>;
  /**
   * Removes positions [start, end) from the KV cache. The runtime documents this only right
   * after a keep_history=0 run that was paused; it may refuse it (rejects) or ignore it.
   */
  clearKvCacheRange(start: number, end: number): Promise<void>;
  /** Positions currently held in the KV cache, or null when the runtime cannot tell. */
  kvCacheSize(): Promise<number | null>;
  /** Loads a prompt-cache file written by a run with `saveCacheTo`. */
  loadPromptCache(path: string): Promise<void>;
  /** Frees a loaded prompt cache. */
  releasePromptCache(): Promise<void>;
  /**
   * Function calling: the system prompt, the tools as an OpenAI-style JSON array, and the tag
   * that marks tool results. Empty strings switch it off.
   */
  setFunctionTools(systemPrompt: string, toolsJson: string, responseTag: string): Promise<void>;
  /** Frees the model; the object is unusable afterwards. */
  destroy(): Promise<void>;
}

export interface NpuBackend {
  /** Human-readable description (library path and ABI) for logs and /health. */
  readonly description: string;
  /** Sampling and max_new_tokens can change per run (runtime 1.3.0), not only at load. */
  readonly perRunSampling: boolean;
  load(params: ModelLoadParams): Promise<NpuModel>;
  /**
   * Loads a vision model's image encoder (an `.rknn` file) next to the language model; absent
   * when this backend cannot run encoders. The caller destroys it with its language model.
   */
  loadVisionEncoder?(path: string, opts?: VisionEncoderOptions): Promise<VisionEncoder>;
  close(): void;
}
