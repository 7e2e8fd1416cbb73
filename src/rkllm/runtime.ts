/**
 * RkllmBackend: the NPU runtime behind the `NpuBackend` interface of ./npu.ts.
 *
 * One thread-safe result callback per loaded model. `rkllm_run` is synchronous in C and calls the
 * callback on its own thread; bound `nonblocking`, it runs on a Deno worker thread and every
 * callback is marshalled to the JS thread while the runtime's thread waits for its return value.
 * The callback copies the token bytes, decodes them with one streaming TextDecoder per run (a
 * UTF-8 character split across callbacks comes out whole), enqueues, and returns 0; it never
 * throws and never awaits. Only this folder sees pointers.
 */
import { RkllmError } from "../errors.ts";
import type {
  ImageTags,
  ModelLoadParams,
  NpuBackend,
  NpuEvent,
  NpuImages,
  NpuModel,
  NpuRun,
  NpuRunInput,
  VisionEncoder,
  VisionEncoderOptions,
} from "./npu.ts";
import { type AbiChoice, type AbiSetting, chooseAbi } from "./abi.ts";
import type { LibraryIdentity } from "./library_version.ts";
import { openLibrary, type RkllmLib } from "./ffi.ts";
import type { AbiLayout } from "./layouts.ts";
import { encodeMultimodalInput } from "./multimodal_input.ts";
import { RknnVisionBackend } from "./rknn/encoder.ts";
import {
  CallState,
  copyLastHiddenState,
  copyResultText,
  cString,
  decodePerf,
  encodeCallbackStruct,
  encodeInferParam,
  encodeParam,
  encodePromptInput,
  InferMode,
  type InputValues,
  type KeepAlive,
  type PerfValues,
} from "./structs.ts";
import { type RuntimeVersion, runtimeVersion } from "./versions.ts";

const RESULT_CALLBACK = {
  parameters: ["pointer", "pointer", "i32"],
  result: "i32",
} as const satisfies Deno.UnsafeCallbackDefinition;

const ABORT_RETRY_MS = 250;

/** The one check of a runtime call's return code. */
function check(op: string, ret: number): void {
  if (ret !== 0) throw new RkllmError(op, ret, `returned ${ret}`);
}

/** Whether `bytes` ends with an incomplete UTF-8 sequence (a lead byte without all its tails). */
export function endsInsideCharacter(bytes: Uint8Array): boolean {
  for (let back = 1; back <= Math.min(4, bytes.length); back++) {
    const b = bytes[bytes.length - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte: look further back
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back;
  }
  return false;
}

interface ActiveRun {
  /** Hidden-state mode: NORMAL callbacks carry hidden states, not text. */
  hidden: boolean;
  /** The decoder holds the start of a character split across callbacks. */
  pendingUtf8: boolean;
  controller: ReadableStreamDefaultController<NpuEvent>;
  decoder: TextDecoder;
  perf: PerfValues | null;
  error: string | null;
  pauseWhen: ((text: string) => boolean) | undefined;
  /** `pauseWhen` said yes: the callback returned 1. */
  paused: boolean;
  /** Abort calls issued for this run; the run is settled only when all have returned. */
  abortCalls: Promise<number>[];
  abortRetry: ReturnType<typeof setTimeout> | undefined;
  ended: boolean;
  settled: Promise<void>;
}

export class RkllmBackend implements NpuBackend {
  readonly description: string;
  readonly perRunSampling: boolean;
  /** The library's build when the ABI was detected from it (not set by the `abi` setting). */
  readonly identity: LibraryIdentity | null;
  #lib: RkllmLib;
  #version: RuntimeVersion;
  /** librknnrt.so's path or bare name (opened at the first vision model, never before). */
  #rknnLibPath: string | undefined;
  #vision: RknnVisionBackend | null = null;

  private constructor(
    lib: RkllmLib,
    version: RuntimeVersion,
    choice: AbiChoice,
    rknnLibPath: string | undefined,
  ) {
    this.#lib = lib;
    this.#version = version;
    this.#rknnLibPath = rknnLibPath;
    this.description = `${lib.path} (ABI ${version.abi}, ${choice.reason})`;
    this.identity = choice.identity ?? null;
    this.perRunSampling = version.capabilities.perRunSampling;
  }

  /**
   * Opens the library and settles its ABI (see abi.ts); refuses an unknown one. `rknnLibPath`:
   * where vision encoders' librknnrt.so is (default: the dynamic loader's search).
   */
  static async open(
    path: string,
    abi: AbiSetting = "auto",
    opts: { rknnLibPath?: string } = {},
  ): Promise<RkllmBackend> {
    const lib = openLibrary(path);
    try {
      const choice = await chooseAbi(lib, abi);
      return new RkllmBackend(lib, runtimeVersion(choice.abi), choice, opts.rknnLibPath);
    } catch (err) {
      lib.close();
      throw err;
    }
  }

  load(params: ModelLoadParams): Promise<NpuModel> {
    return RkllmModel.create(this.#lib, this.#version, params);
  }

  /** Opens librknnrt.so on first use, so text-only servers never need it. */
  async loadVisionEncoder(path: string, opts?: VisionEncoderOptions): Promise<VisionEncoder> {
    this.#vision ??= RknnVisionBackend.open(this.#rknnLibPath);
    return await this.#vision.load(path, opts);
  }

  close(): void {
    this.#vision?.close();
    this.#vision = null;
    this.#lib.close();
  }
}

class RkllmModel implements NpuModel {
  #lib: RkllmLib;
  #version: RuntimeVersion;
  #layout: AbiLayout;
  /** The image markers given at init (runtimes that read them there). */
  #initTags: ImageTags | undefined;
  #handle: Deno.PointerValue;
  #callback: Deno.UnsafeCallback<typeof RESULT_CALLBACK>;
  /** Kept for the handle's lifetime: 1.3.0 stores the callback struct pointer. */
  #initKeep: KeepAlive;
  #active: ActiveRun | null = null;
  #destroyed = false;

  private constructor(
    lib: RkllmLib,
    version: RuntimeVersion,
    initTags: ImageTags | undefined,
    handle: Deno.PointerValue,
    callback: Deno.UnsafeCallback<typeof RESULT_CALLBACK>,
    initKeep: KeepAlive,
  ) {
    this.#lib = lib;
    this.#version = version;
    this.#layout = version.layout;
    this.#initTags = initTags;
    this.#handle = handle;
    this.#callback = callback;
    this.#initKeep = initKeep;
  }

  static async create(
    lib: RkllmLib,
    version: RuntimeVersion,
    p: ModelLoadParams,
  ): Promise<RkllmModel> {
    const layout = version.layout;
    // The callback must exist before init, but results only flow during runs; `target` is set
    // once the model object exists.
    let target: RkllmModel | null = null;
    const callback = Deno.UnsafeCallback.threadSafe(
      RESULT_CALLBACK,
      (result, _userdata, state) => (target ? target.#onResult(result, state) : 0),
    );
    const keep: KeepAlive = [];
    const param = encodeParam(layout, p, keep);
    let callbackArg: Deno.PointerValue = callback.pointer;
    if (version.capabilities.callbackStruct) {
      const struct = encodeCallbackStruct(
        layout,
        BigInt(Deno.UnsafePointer.value(callback.pointer)),
      );
      keep.push(struct);
      callbackArg = Deno.UnsafePointer.of(struct);
    }
    const handleOut = new Uint8Array(8);
    let ret: number;
    try {
      ret = await lib.symbols.rkllm_init(handleOut, param, callbackArg);
    } catch (cause) {
      callback.close();
      throw new RkllmError("rkllm_init", null, (cause as Error).message, { cause });
    }
    const handle = Deno.UnsafePointer.create(new DataView(handleOut.buffer).getBigUint64(0, true));
    if (ret !== 0 || handle === null) {
      callback.close();
      throw new RkllmError(
        "rkllm_init",
        ret,
        ret !== 0
          ? `returned ${ret} (missing or corrupt model file, runtime/model version mismatch, or not enough NPU memory)`
          : "returned 0 but no handle (likely out of NPU memory)",
      );
    }
    target = new RkllmModel(lib, version, p.imageTags, handle, callback, keep);
    return target;
  }

  run(input: NpuRunInput): NpuRun {
    if (this.#destroyed) throw new RkllmError("rkllm_run", null, "model was destroyed");
    if (this.#active) throw new RkllmError("rkllm_run", null, "a run is already active");
    const keep: KeepAlive = [];
    const values = { role: input.role, enableThinking: input.enableThinking, prompt: input.prompt };
    const inputBuf = input.images
      ? this.#multimodalInput(values, input.images, keep)
      : encodePromptInput(this.#layout, values, keep);
    const hidden = input.mode === "hidden";
    const inferBuf = encodeInferParam(this.#layout, {
      mode: hidden ? InferMode.LAST_HIDDEN_LAYER : InferMode.GENERATE,
      keepHistory: input.keepHistory,
      sampling: input.sampling,
      maxNewTokens: input.maxNewTokens,
      saveCacheTo: input.saveCacheTo,
    }, keep);
    let controller!: ReadableStreamDefaultController<NpuEvent>;
    const abort = (): void => this.#abort(active);
    const events = new ReadableStream<NpuEvent>({
      start: (c) => {
        controller = c;
      },
      cancel: abort,
    });
    const active: ActiveRun = {
      hidden,
      pendingUtf8: false,
      controller,
      decoder: new TextDecoder("utf-8"),
      perf: null,
      error: null,
      pauseWhen: input.pauseWhen,
      paused: false,
      abortCalls: [],
      abortRetry: undefined,
      ended: false,
      settled: Promise.resolve(),
    };
    this.#active = active;
    const call = this.#lib.symbols.rkllm_run(this.#handle, inputBuf, inferBuf, null);
    const settled = call.then(
      (ret) => this.#finishRun(active, ret, null),
      (cause) => this.#finishRun(active, null, cause),
    ).then(async () => {
      // The buffers were read by C until the call returned; an abort call may still be running.
      void [inputBuf, inferBuf, keep];
      await Promise.allSettled(active.abortCalls);
      if (this.#active === active) this.#active = null;
    });
    active.settled = settled;
    return { events, abort, settled };
  }

  /** Images with their prompt; `keep` then also holds the embeddings until the run settles. */
  #multimodalInput(v: InputValues, images: NpuImages, keep: KeepAlive): Uint8Array<ArrayBuffer> {
    const init = this.#initTags;
    const { start, end, content } = images.tags;
    if (
      this.#version.capabilities.imageStrings === "init" &&
      (init?.start !== start || init.end !== end || init.content !== content)
    ) {
      // This runtime took the markers at init: others would be silently ignored.
      throw new RkllmError(
        "rkllm_run",
        null,
        `runtime ${this.#version.abi} reads image markers at load; this model was loaded ` +
          (init ? "with other markers" : "without image markers (not as a vision model)"),
      );
    }
    return encodeMultimodalInput(this.#version, v, images, keep);
  }

  /**
   * An abort that reaches the runtime before its run has really started is lost (the runtime
   * resets its abort flag when a run begins), so it is repeated until the run returns.
   */
  #abort(active: ActiveRun): void {
    if (active.ended || active.abortCalls.length) return;
    const issue = (): void => {
      if (active.ended) return;
      active.abortCalls.push(this.#lib.symbols.rkllm_abort(this.#handle));
      active.abortRetry = setTimeout(issue, ABORT_RETRY_MS);
    };
    issue();
  }

  #finishRun(active: ActiveRun, ret: number | null, cause: unknown): void {
    active.ended = true;
    clearTimeout(active.abortRetry);
    const tail = active.decoder.decode();
    const send = (event: NpuEvent): void => {
      try {
        active.controller.enqueue(event);
      } catch {
        // The consumer cancelled the stream; nothing left to deliver.
      }
    };
    if (tail) send({ type: "text", text: tail });
    if (cause !== null) {
      send({ type: "error", message: `rkllm_run failed: ${(cause as Error).message}` });
    } else if (active.error !== null) {
      send({ type: "error", message: active.error });
    } else if (ret !== 0) {
      send({ type: "error", message: `rkllm_run returned ${ret}` });
    } else if (active.perf) {
      send({ type: "finish", perf: active.perf });
    } else if (active.paused) {
      send({ type: "paused" });
    } else {
      send({ type: "aborted" });
    }
    try {
      active.controller.close();
    } catch {
      // Already cancelled by the consumer.
    }
  }

  /** Runs on the JS thread while the runtime's thread waits for the return value. */
  #onResult(resultPtr: Deno.PointerValue, state: number): number {
    const active = this.#active;
    if (!active || active.ended || resultPtr === null) return 0;
    try {
      const result = new Deno.UnsafePointerView(resultPtr);
      if (state === CallState.NORMAL && active.hidden) {
        const row = copyLastHiddenState(this.#layout, result);
        if (row) active.controller.enqueue({ type: "hidden", ...row });
      } else if (state === CallState.NORMAL) {
        const text = this.#tokenText(active, result);
        if (text) active.controller.enqueue({ type: "text", text });
        // 1 pauses: the runtime stops here and keeps the cache as it is.
        if (text && active.pauseWhen?.(text)) {
          active.paused = true;
          return 1;
        }
      } else if (state === CallState.FINISH) {
        active.perf = decodePerf(this.#layout, result);
      } else if (state === CallState.ERROR) {
        const bytes = copyResultText(this.#layout, result);
        const text = bytes ? new TextDecoder().decode(bytes) : "";
        active.error = text || "unknown runtime error";
      }
      // WAITING: the runtime is holding an incomplete character back; nothing to deliver.
    } catch (err) {
      active.error ??= `result callback failed: ${(err as Error).message}`;
    }
    return 0;
  }

  /**
   * A token's text. Most tokens are whole UTF-8 characters: one native getCString does it. When
   * a character is split across callbacks (the string would contain U+FFFD, or bytes from the
   * previous token are pending) the raw bytes go through the run's streaming decoder instead.
   */
  #tokenText(active: ActiveRun, result: Deno.UnsafePointerView): string {
    if (!active.pendingUtf8) {
      const ptr = result.getPointer(this.#layout.RKLLMResult.text);
      if (ptr === null) return "";
      const text = Deno.UnsafePointerView.getCString(ptr);
      if (!text.includes("\uFFFD")) return text;
    }
    const bytes = copyResultText(this.#layout, result);
    if (!bytes || !bytes.length) return "";
    active.pendingUtf8 = endsInsideCharacter(bytes);
    return active.decoder.decode(bytes, { stream: true });
  }

  async clearKvCache(keepSystemPrompt: boolean): Promise<void> {
    if (this.#active) throw new RkllmError("rkllm_clear_kv_cache", null, "a run is active");
    check(
      "rkllm_clear_kv_cache",
      await this.#lib.symbols.rkllm_clear_kv_cache(
        this.#handle,
        keepSystemPrompt ? 1 : 0,
        null,
        null,
      ),
    );
  }

  async clearKvCacheRange(start: number, end: number): Promise<void> {
    if (this.#active) throw new RkllmError("rkllm_clear_kv_cache", null, "a run is active");
    // One entry per batch (n_batch is 1); read on another thread until the call returns.
    const starts = new Int32Array([start]);
    const ends = new Int32Array([end]);
    const ret = await this.#lib.symbols.rkllm_clear_kv_cache(
      this.#handle,
      0,
      Deno.UnsafePointer.of(starts),
      Deno.UnsafePointer.of(ends),
    );
    void [starts, ends];
    check("rkllm_clear_kv_cache", ret);
  }

  async loadPromptCache(path: string): Promise<void> {
    if (this.#active) throw new RkllmError("rkllm_load_prompt_cache", null, "a run is active");
    const cPath = cString(path);
    const ret = await this.#lib.symbols.rkllm_load_prompt_cache(this.#handle, cPath);
    void cPath;
    check("rkllm_load_prompt_cache", ret);
  }

  async releasePromptCache(): Promise<void> {
    if (this.#active) throw new RkllmError("rkllm_release_prompt_cache", null, "a run is active");
    check(
      "rkllm_release_prompt_cache",
      await this.#lib.symbols.rkllm_release_prompt_cache(this.#handle),
    );
  }

  async setFunctionTools(
    systemPrompt: string,
    toolsJson: string,
    responseTag: string,
  ): Promise<void> {
    if (this.#active) throw new RkllmError("rkllm_set_function_tools", null, "a run is active");
    const strings = [cString(systemPrompt), cString(toolsJson), cString(responseTag)] as const;
    const ret = await this.#lib.symbols.rkllm_set_function_tools(this.#handle, ...strings);
    // The strings were read on another thread until the call returned.
    void strings;
    check("rkllm_set_function_tools", ret);
  }

  async kvCacheSize(): Promise<number | null> {
    if (this.#active || this.#destroyed) return null;
    const out = new Int32Array(1);
    const ret = await this.#lib.symbols.rkllm_get_kv_cache_size(
      this.#handle,
      new Uint8Array(out.buffer),
    );
    return ret === 0 ? out[0] : null;
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const active = this.#active;
    if (active) {
      this.#abort(active);
      await active.settled;
    }
    const ret = await this.#lib.symbols.rkllm_destroy(this.#handle);
    this.#callback.close();
    this.#initKeep.length = 0;
    check("rkllm_destroy", ret);
  }
}
