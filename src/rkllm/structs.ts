/**
 * Encoders and decoders of the runtime's C structs over the byte layouts of layouts.ts.
 * Encoders zero the whole buffer first, so padding and reserved bytes are always 0. Part of
 * src/rkllm: the only code that handles pointers.
 */
import type { AbiLayout, Table } from "./layouts.ts";
import type { ModelLoadParams } from "./npu.ts";

export const CallState = { NORMAL: 0, WAITING: 1, FINISH: 2, ERROR: 3 } as const;
export const InputType = { PROMPT: 0, TOKEN: 1, EMBED: 2, MULTIMODAL: 3 } as const;
export const InferMode = { GENERATE: 0, LAST_HIDDEN_LAYER: 1, LOGITS: 2 } as const;

const encoder = new TextEncoder();

/** A NUL-terminated UTF-8 copy of `s`; the caller keeps it referenced while C may read it. */
export function cString(s: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(s + "\0");
}

/** The address of `buf`'s bytes (0 for null), for a pointer field. */
export function pointerValue(buf: Uint8Array<ArrayBuffer> | null): bigint {
  if (buf === null) return 0n;
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/** The offset of `name` in `table`; a missing field is a programming error. */
export function field(table: Table, name: string): number {
  const off = table[name];
  if (off === undefined) throw new Error(`layout has no field ${name}`);
  return off;
}

/** Buffers a struct points into; must outlive every native call that uses the struct. */
export type KeepAlive = Uint8Array<ArrayBuffer>[];

function popcount(n: number): number {
  let count = 0;
  for (let v = n >>> 0; v; v >>>= 1) count += v & 1;
  return count;
}

export function encodeParam(
  layout: AbiLayout,
  p: ModelLoadParams,
  keep: KeepAlive,
): Uint8Array<ArrayBuffer> {
  const t = layout.RKLLMParam;
  const buf = new Uint8Array(t.__size);
  const view = new DataView(buf.buffer);
  const path = cString(p.modelPath);
  keep.push(path);
  view.setBigUint64(field(t, "model_path"), pointerValue(path), true);
  view.setInt32(field(t, "max_context_len"), p.contextLength, true);
  view.setInt32(field(t, "max_new_tokens"), p.maxNewTokens, true);
  view.setInt32(field(t, "top_k"), p.sampling.topK, true);
  // -1: keep the whole prefix when the context window shifts, so multi-turn history survives.
  view.setInt32(field(t, "n_keep"), -1, true);
  view.setFloat32(field(t, "top_p"), p.sampling.topP, true);
  view.setFloat32(field(t, "temperature"), p.sampling.temperature, true);
  view.setFloat32(field(t, "repeat_penalty"), p.sampling.repeatPenalty, true);
  view.setFloat32(field(t, "frequency_penalty"), p.sampling.frequencyPenalty, true);
  view.setFloat32(field(t, "presence_penalty"), p.sampling.presencePenalty, true);
  view.setInt32(field(t, "mirostat"), 0, true);
  view.setFloat32(field(t, "mirostat_tau"), 5.0, true);
  view.setFloat32(field(t, "mirostat_eta"), 0.1, true);
  view.setUint8(field(t, "skip_special_token"), 1);
  view.setUint8(field(t, "is_async"), 0);
  if (t.img_start !== undefined) {
    // Read as C strings at init (runtimes with `imageStrings: "init"`): a vision model's
    // markers, otherwise valid empty strings, never NULL.
    const tags = p.imageTags ?? { start: "", end: "", content: "" };
    const strings = [["img_start", tags.start], ["img_end", tags.end], [
      "img_content",
      tags.content,
    ]] as const;
    for (const [name, text] of strings) {
      const s = cString(text);
      keep.push(s);
      view.setBigUint64(field(t, name), pointerValue(s), true);
    }
  }
  view.setInt32(field(t, "extend_param.base_domain_id"), p.baseDomainId, true);
  view.setInt8(field(t, "extend_param.embed_flash"), p.embedFlash ? 1 : 0);
  view.setInt8(field(t, "extend_param.enabled_cpus_num"), popcount(p.cpuMask));
  view.setUint32(field(t, "extend_param.enabled_cpus_mask"), p.cpuMask >>> 0, true);
  view.setUint8(field(t, "extend_param.n_batch"), 1);
  view.setInt8(field(t, "extend_param.use_cross_attn"), 0);
  return buf;
}

export interface InputValues {
  role: string;
  enableThinking: boolean;
  prompt: string;
}

export function encodePromptInput(
  layout: AbiLayout,
  v: InputValues,
  keep: KeepAlive,
): Uint8Array<ArrayBuffer> {
  const t = layout.RKLLMInput;
  const buf = new Uint8Array(t.__size);
  const view = new DataView(buf.buffer);
  const role = cString(v.role);
  const prompt = cString(v.prompt);
  keep.push(role, prompt);
  view.setBigUint64(field(t, "role"), pointerValue(role), true);
  view.setUint8(field(t, "enable_thinking"), v.enableThinking ? 1 : 0);
  view.setInt32(field(t, "input_type"), InputType.PROMPT, true);
  view.setBigUint64(field(t, "prompt_input"), pointerValue(prompt), true);
  return buf;
}

export interface InferValues {
  mode: number;
  keepHistory: boolean;
  /** 1.3.0 only: per-run sampling (NULL = the values given at init). */
  sampling?: ModelLoadParams["sampling"];
  /** 1.3.0 only: > 0 overrides max_new_tokens for this run. */
  maxNewTokens?: number;
  /** Save the KV cache to this file at the end of the run. */
  saveCacheTo?: string;
}

export function encodeInferParam(
  layout: AbiLayout,
  v: InferValues,
  keep: KeepAlive,
): Uint8Array<ArrayBuffer> {
  const t = layout.RKLLMInferParam;
  const buf = new Uint8Array(t.__size);
  const view = new DataView(buf.buffer);
  view.setInt32(field(t, "mode"), v.mode, true);
  view.setInt32(field(t, "keep_history"), v.keepHistory ? 1 : 0, true);
  const s = layout.RKLLMSamplingParam;
  if (s && v.sampling) {
    const sampling = new Uint8Array(s.__size);
    const sv = new DataView(sampling.buffer);
    sv.setInt32(field(s, "top_k"), v.sampling.topK, true);
    sv.setFloat32(field(s, "top_p"), v.sampling.topP, true);
    sv.setFloat32(field(s, "temperature"), v.sampling.temperature, true);
    sv.setFloat32(field(s, "repeat_penalty"), v.sampling.repeatPenalty, true);
    sv.setFloat32(field(s, "frequency_penalty"), v.sampling.frequencyPenalty, true);
    sv.setFloat32(field(s, "presence_penalty"), v.sampling.presencePenalty, true);
    sv.setInt32(field(s, "mirostat"), 0, true);
    sv.setFloat32(field(s, "mirostat_tau"), 5.0, true);
    sv.setFloat32(field(s, "mirostat_eta"), 0.1, true);
    keep.push(sampling);
    view.setBigUint64(field(t, "sampling_params"), pointerValue(sampling), true);
  }
  if (v.saveCacheTo) {
    const c = layout.RKLLMPromptCacheParam;
    const cache = new Uint8Array(c.__size);
    const path = cString(v.saveCacheTo);
    const cv = new DataView(cache.buffer);
    cv.setInt32(field(c, "save_prompt_cache"), 1, true);
    cv.setBigUint64(field(c, "prompt_cache_path"), pointerValue(path), true);
    keep.push(cache, path);
    view.setBigUint64(field(t, "prompt_cache_params"), pointerValue(cache), true);
  }
  if (t.max_new_tokens !== undefined && v.maxNewTokens && v.maxNewTokens > 0) {
    view.setInt32(t.max_new_tokens, v.maxNewTokens, true);
  }
  return buf;
}

/** The 1.3.0 init callback struct: result callback only, userdata NULL. */
export function encodeCallbackStruct(
  layout: AbiLayout,
  resultCallback: bigint,
): Uint8Array<ArrayBuffer> {
  const t = layout.RKLLMCallback;
  if (!t) throw new Error(`ABI ${layout.version} has no RKLLMCallback`);
  const buf = new Uint8Array(t.__size);
  new DataView(buf.buffer).setBigUint64(field(t, "result_callback"), resultCallback, true);
  return buf;
}

export interface PerfValues {
  prefillMs: number;
  prefillTokens: number;
  generateMs: number;
  generateTokens: number;
  memoryMb: number;
}

/** Reads `RKLLMResult.perf`; only meaningful in the FINISH callback. */
export function decodePerf(layout: AbiLayout, result: Deno.UnsafePointerView): PerfValues {
  const t = layout.RKLLMResult;
  return {
    prefillMs: result.getFloat32(field(t, "perf.prefill_time_ms")),
    prefillTokens: result.getInt32(field(t, "perf.prefill_tokens")),
    generateMs: result.getFloat32(field(t, "perf.generate_time_ms")),
    generateTokens: result.getInt32(field(t, "perf.generate_tokens")),
    memoryMb: result.getFloat32(field(t, "perf.memory_usage_mb")),
  };
}

/**
 * Copies the last token's row of `RKLLMResult.last_hidden_layer` (num_tokens × embd_size
 * floats, owned by the runtime and valid only during the callback). Null when absent.
 */
export function copyLastHiddenState(
  layout: AbiLayout,
  result: Deno.UnsafePointerView,
): { vector: Float32Array; tokens: number } | null {
  const t = layout.RKLLMResult;
  const states = result.getPointer(field(t, "last_hidden_layer.hidden_states"));
  const size = result.getInt32(field(t, "last_hidden_layer.embd_size"));
  const tokens = result.getInt32(field(t, "last_hidden_layer.num_tokens"));
  if (states === null || size <= 0 || tokens <= 0) return null;
  const bytes = Deno.UnsafePointerView.getArrayBuffer(states, size * 4, (tokens - 1) * size * 4);
  return { vector: new Float32Array(bytes.slice(0)), tokens };
}

/** Longest token text accepted from the runtime; guards against a missing terminator. */
const MAX_TEXT_BYTES = 1 << 16;

/**
 * Copies `RKLLMResult.text` as raw bytes (not decoded: a UTF-8 character may continue in the
 * next callback). Returns null for a NULL pointer.
 */
export function copyResultText(
  layout: AbiLayout,
  result: Deno.UnsafePointerView,
): Uint8Array | null {
  const textPtr = result.getPointer(field(layout.RKLLMResult, "text"));
  if (textPtr === null) return null;
  const view = new Deno.UnsafePointerView(textPtr);
  let len = 0;
  while (len < MAX_TEXT_BYTES && view.getUint8(len) !== 0) len++;
  return len === 0 ? new Uint8Array(0) : new Uint8Array(view.getArrayBuffer(len).slice(0));
}
