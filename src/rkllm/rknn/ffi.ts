/**
 * The one `Deno.dlopen` of librknnrt.so (Rockchip's RKNN runtime, which runs `.rknn` models such
 * as a vision-language model's image encoder) and its symbol table.
 *
 * Every call is `nonblocking`: the runtime serialises calls on a context behind locks held while
 * the NPU works, so any of them may wait, and the event loop must keep serving meanwhile.
 * `rknn_set_core_mask` is optional (absent on single-core SoCs' builds). Opened explicitly, never
 * at import time.
 */
import { RknnError } from "./errors.ts";
import { type NativeLib, openNative } from "../ffi.ts";

/** The bare name: the dynamic loader's search (ld.so.conf, LD_LIBRARY_PATH) finds it. */
export const RKNN_LIBRARY_NAME = "librknnrt.so";

/** C signatures in comments; `rknn_context` is a uint64_t on 64-bit Linux. */
export const RKNN_SYMBOLS = {
  // int rknn_init(rknn_context* ctx, void* model, uint32_t size, uint32_t flag, rknn_init_extend*)
  rknn_init: {
    parameters: ["buffer", "buffer", "u32", "u32", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  // int rknn_query(rknn_context, rknn_query_cmd, void* info, uint32_t size)
  rknn_query: { parameters: ["u64", "i32", "buffer", "u32"], result: "i32", nonblocking: true },
  // int rknn_inputs_set(rknn_context, uint32_t n_inputs, rknn_input inputs[])
  rknn_inputs_set: { parameters: ["u64", "u32", "buffer"], result: "i32", nonblocking: true },
  // int rknn_run(rknn_context, rknn_run_extend*)
  rknn_run: { parameters: ["u64", "pointer"], result: "i32", nonblocking: true },
  // int rknn_outputs_get(rknn_context, uint32_t n_outputs, rknn_output outputs[], void* extend)
  rknn_outputs_get: {
    parameters: ["u64", "u32", "buffer", "pointer"],
    result: "i32",
    nonblocking: true,
  },
  // int rknn_outputs_release(rknn_context, uint32_t n_outputs, rknn_output outputs[])
  rknn_outputs_release: { parameters: ["u64", "u32", "buffer"], result: "i32", nonblocking: true },
  // int rknn_destroy(rknn_context)
  rknn_destroy: { parameters: ["u64"], result: "i32", nonblocking: true },
  // int rknn_set_core_mask(rknn_context, rknn_core_mask)
  rknn_set_core_mask: {
    parameters: ["u64", "i32"],
    result: "i32",
    nonblocking: true,
    optional: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

export type RknnSymbols = Deno.DynamicLibrary<typeof RKNN_SYMBOLS>["symbols"];

export type RknnLib = NativeLib<RknnSymbols>;

/** Opens `path` (a file path, or the bare name for the loader's search). */
export function openRknnLibrary(path: string = RKNN_LIBRARY_NAME): RknnLib {
  const refuse = (problem: string, cause?: unknown): RknnError =>
    new RknnError(
      "dlopen",
      null,
      `cannot load ${path}: ${problem}. Vision models need Rockchip's librknnrt.so ` +
        "(rknn-toolkit2 runtime); set rknn_lib_path to its location.",
      { cause },
    );
  return openNative(path, RKNN_SYMBOLS, refuse);
}
