/**
 * A failed librknnrt.so call: an RkllmError (so the one error mapping treats it as an NPU runtime
 * failure, a 500) whose message names the RKNN error code. Imports only src/errors.ts.
 */
import { RkllmError } from "../../errors.ts";

const CODES: Readonly<Record<number, string>> = {
  [-1]: "RKNN_ERR_FAIL",
  [-2]: "RKNN_ERR_TIMEOUT",
  [-3]: "RKNN_ERR_DEVICE_UNAVAILABLE",
  [-4]: "RKNN_ERR_MALLOC_FAIL",
  [-5]: "RKNN_ERR_PARAM_INVALID",
  [-6]: "RKNN_ERR_MODEL_INVALID",
  [-7]: "RKNN_ERR_CTX_INVALID",
  [-8]: "RKNN_ERR_INPUT_INVALID",
  [-9]: "RKNN_ERR_OUTPUT_INVALID",
};

export class RknnError extends RkllmError {
  constructor(op: string, code: number | null, message?: string, opts: { cause?: unknown } = {}) {
    super(
      op,
      code,
      message ?? `${op} failed with ${CODES[code ?? 0] ?? "error"} (${code})`,
      opts,
    );
    this.name = "RknnError";
  }
}

/** The one return-code gate: 0 passes, anything else throws. */
export function check(op: string, ret: number): void {
  if (ret !== 0) throw new RknnError(op, ret);
}
