/**
 * The one `Deno.dlopen` of librkllmrt.so and its symbol table.
 *
 * Every call that can take time or wait on the runtime is `nonblocking`: it runs on a worker
 * thread and returns a Promise, so the event loop keeps serving HTTP while a model loads, and an
 * abort never deadlocks with a result callback waiting for the JS thread. The library is opened
 * explicitly by `openLibrary`, never at import time.
 */
import { RkllmError } from "../errors.ts";
import { checkLibraryFile } from "./elf.ts";

/** C signatures in comments; `pointer` for every pointer, `i32` for int and enums. */
export const SYMBOLS = {
  // int rkllm_init(LLMHandle* handle, RKLLMParam* param, LLMResultCallback | RKLLMCallback* cb)
  rkllm_init: { parameters: ["buffer", "buffer", "pointer"], result: "i32", nonblocking: true },
  // int rkllm_run(LLMHandle, RKLLMInput*, RKLLMInferParam*, void* userdata)
  rkllm_run: {
    parameters: ["pointer", "buffer", "buffer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  // int rkllm_abort(LLMHandle)
  rkllm_abort: { parameters: ["pointer"], result: "i32", nonblocking: true },
  // int rkllm_clear_kv_cache(LLMHandle, int keep_system_prompt, int* start_pos, int* end_pos)
  rkllm_clear_kv_cache: {
    parameters: ["pointer", "i32", "pointer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  // int rkllm_set_function_tools(LLMHandle, const char* system_prompt, const char* tools,
  //                              const char* tool_response_str)
  rkllm_set_function_tools: {
    parameters: ["pointer", "buffer", "buffer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  // int rkllm_load_prompt_cache(LLMHandle, const char* prompt_cache_path)
  rkllm_load_prompt_cache: {
    parameters: ["pointer", "buffer"],
    result: "i32",
    nonblocking: true,
  },
  // int rkllm_release_prompt_cache(LLMHandle)
  rkllm_release_prompt_cache: { parameters: ["pointer"], result: "i32", nonblocking: true },
  // int rkllm_get_kv_cache_size(LLMHandle, int* cache_sizes /* one per batch */)
  rkllm_get_kv_cache_size: { parameters: ["pointer", "buffer"], result: "i32", nonblocking: true },
  // RKLLMParam rkllm_createDefaultParam(void): returned by value through a hidden result pointer.
  // Declared as 256 bytes, more than either ABI's struct (208 / 184), so the callee writes into
  // memory we own whichever layout it has; only used to tell the ABIs apart.
  rkllm_createDefaultParam: { parameters: [], result: { struct: Array(32).fill("u64") } },
  // int rkllm_destroy(LLMHandle)
  rkllm_destroy: { parameters: ["pointer"], result: "i32", nonblocking: true },
} as const satisfies Deno.ForeignLibraryInterface;

export type RkllmSymbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** An opened native library: its path, its symbols, and how to close it. */
export interface NativeLib<S> {
  readonly path: string;
  readonly symbols: S;
  close(): void;
}

export type RkllmLib = NativeLib<RkllmSymbols>;

/**
 * `Deno.dlopen` after the file checks (a bare name is left to the loader's search); every
 * problem becomes the error `refuse` makes of it.
 */
export function openNative<I extends Deno.ForeignLibraryInterface>(
  path: string,
  symbols: I,
  refuse: (problem: string, cause?: unknown) => Error,
): NativeLib<Deno.DynamicLibrary<I>["symbols"]> {
  const problem = path.includes("/") ? checkLibraryFile(path) : null;
  if (problem) throw refuse(problem);
  try {
    const lib = Deno.dlopen(path, symbols);
    return { path, symbols: lib.symbols, close: () => lib.close() };
  } catch (cause) {
    throw refuse((cause as Error).message, cause);
  }
}

export function openLibrary(path: string): RkllmLib {
  return openNative(
    path,
    SYMBOLS,
    (problem, cause) =>
      new RkllmError("dlopen", null, `cannot load ${path}: ${problem}`, { cause }),
  );
}
