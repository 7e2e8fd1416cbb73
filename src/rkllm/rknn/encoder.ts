/**
 * The vision encoder over librknnrt.so: `RknnVisionBackend.load()` runs rknn_init, the core mask
 * and the queries that describe the input and output tensors; `encode()` runs inputs_set → run →
 * outputs_get → copy → outputs_release. Every native buffer a call uses stays referenced until
 * that call's promise settles; outputs are released even when copying them fails; a failed load
 * destroys its context. Part of src/rkllm: the only code that handles pointers.
 */
import { check, RknnError } from "./errors.ts";
import { openRknnLibrary, type RknnLib } from "./ffi.ts";
import {
  attrQuery,
  copyOutput,
  decodeAttr,
  encodeInput,
  encodeOutputs,
  encoderInput,
  QueryCmd,
  RKNN_LAYOUT,
  type TensorAttr,
} from "./structs.ts";
import type {
  EncoderInput,
  VisionBackend,
  VisionEncoder,
  VisionEncoderOptions,
} from "./vision_encoder.ts";

const BYTES_PER_ELEMENT: Record<EncoderInput["type"], number> = {
  uint8: 1,
  float16: 2,
  float32: 4,
};

export class RknnVisionBackend implements VisionBackend {
  #lib: RknnLib;

  constructor(lib: RknnLib) {
    this.#lib = lib;
  }

  /** Opens librknnrt.so (a path, or the bare name for the dynamic loader's search). */
  static open(path?: string): RknnVisionBackend {
    return new RknnVisionBackend(openRknnLibrary(path));
  }

  async load(
    model: string | Uint8Array<ArrayBuffer>,
    opts: VisionEncoderOptions = {},
  ): Promise<VisionEncoder> {
    const s = this.#lib.symbols;
    // size 0 tells rknn_init that `model` is a NUL-terminated path, not the model bytes.
    const source = typeof model === "string" ? new TextEncoder().encode(model + "\0") : model;
    const size = typeof model === "string" ? 0 : model.length;
    const handle = new BigUint64Array(1);
    check("rknn_init", await s.rknn_init(new Uint8Array(handle.buffer), source, size, 0, null));
    const ctx = handle[0];
    try {
      if (opts.coreMask !== undefined && s.rknn_set_core_mask) {
        check("rknn_set_core_mask", await s.rknn_set_core_mask(ctx, opts.coreMask));
      }
      const io = new Uint8Array(RKNN_LAYOUT.rknn_input_output_num.__size);
      check("rknn_query", await s.rknn_query(ctx, QueryCmd.IN_OUT_NUM, io, io.length));
      const ioView = new DataView(io.buffer);
      const nInput = ioView.getUint32(RKNN_LAYOUT.rknn_input_output_num.n_input, true);
      const nOutput = ioView.getUint32(RKNN_LAYOUT.rknn_input_output_num.n_output, true);
      const inputAttr = await this.#query(ctx, QueryCmd.INPUT_ATTR, 0);
      const input = encoderInput(inputAttr, opts.imageSize);
      if (nInput !== 1 || input === null) {
        throw new RknnError(
          "rknn_query",
          null,
          `not an image encoder: ${nInput} input(s), the first ${inputAttr.dims.join("x")} ` +
            `(format ${inputAttr.fmt}); expected one 4-dimensional RGB image tensor`,
        );
      }
      const outputs: TensorAttr[] = [];
      for (let i = 0; i < nOutput; i++) {
        outputs.push(await this.#query(ctx, QueryCmd.OUTPUT_ATTR, i));
      }
      // Rows × floats per row: the last two dimensions, or the configured row count.
      const shapes = outputs.map((o) =>
        opts.imageTokens ? [opts.imageTokens, o.nElems / opts.imageTokens] : o.dims.slice(-2)
      );
      const [nTokens, embedDim] = shapes[0] ?? [0, 0];
      const valid = nTokens > 0 && Number.isInteger(embedDim) && embedDim > 0;
      if (!valid || shapes.some(([t, d]) => t !== nTokens || d !== embedDim)) {
        const dims = outputs.map((o) => o.dims.join("x")).join(", ") || "(none)";
        const tokens = opts.imageTokens ? ` for ${opts.imageTokens} image tokens` : "";
        throw new RknnError(
          "rknn_query",
          null,
          `unexpected encoder outputs ${dims}${tokens}; expected tokens x embedding size, ` +
            "the same for every output",
        );
      }
      return new RknnVisionEncoder(this.#lib, ctx, input, nTokens, embedDim, nOutput);
    } catch (err) {
      await s.rknn_destroy(ctx);
      throw err;
    }
  }

  async #query(ctx: bigint, cmd: number, index: number): Promise<TensorAttr> {
    const buf = attrQuery(index);
    check("rknn_query", await this.#lib.symbols.rknn_query(ctx, cmd, buf, buf.length));
    return decodeAttr(buf);
  }

  close(): void {
    this.#lib.close();
  }
}

class RknnVisionEncoder implements VisionEncoder {
  readonly input: EncoderInput;
  readonly nTokens: number;
  readonly embedDim: number;
  readonly floatsPerImage: number;
  #lib: RknnLib;
  #ctx: bigint;
  #outputs: number;
  /** One call sequence at a time on the context; destroy waits behind it. */
  #tail: Promise<unknown> = Promise.resolve();
  #destroyed = false;

  constructor(
    lib: RknnLib,
    ctx: bigint,
    input: EncoderInput,
    nTokens: number,
    embedDim: number,
    outputs: number,
  ) {
    this.#lib = lib;
    this.#ctx = ctx;
    this.input = input;
    this.nTokens = nTokens;
    this.embedDim = embedDim;
    this.#outputs = outputs;
    this.floatsPerImage = nTokens * embedDim * outputs;
  }

  encode(tensor: Uint8Array<ArrayBuffer>): Promise<Float32Array<ArrayBuffer>> {
    const { width, height, channels, type } = this.input;
    const expected = width * height * channels * BYTES_PER_ELEMENT[type];
    if (tensor.length !== expected) {
      return Promise.reject(
        new RangeError(`tensor has ${tensor.length} bytes; the encoder takes ${expected}`),
      );
    }
    return this.#serial(() => this.#encode(tensor));
  }

  async #encode(tensor: Uint8Array<ArrayBuffer>): Promise<Float32Array<ArrayBuffer>> {
    if (this.#destroyed) throw new RknnError("rknn_run", null, "the vision encoder was unloaded");
    const s = this.#lib.symbols;
    const ctx = this.#ctx;
    const input = encodeInput(tensor, this.input);
    check("rknn_inputs_set", await s.rknn_inputs_set(ctx, 1, input));
    check("rknn_run", await s.rknn_run(ctx, null));
    const outputs = encodeOutputs(this.#outputs);
    check("rknn_outputs_get", await s.rknn_outputs_get(ctx, this.#outputs, outputs, null));
    try {
      const out = new Float32Array(this.floatsPerImage);
      const per = this.nTokens * this.embedDim;
      for (let i = 0; i < this.#outputs; i++) {
        const floats = copyOutput(outputs, i);
        if (floats.length !== per) {
          throw new RknnError(
            "rknn_outputs_get",
            null,
            `output ${i} has ${floats.length} floats; expected ${per}`,
          );
        }
        out.set(floats, i * per);
      }
      return out;
    } finally {
      await s.rknn_outputs_release(ctx, this.#outputs, outputs);
    }
  }

  destroy(): Promise<void> {
    return this.#serial(async () => {
      if (this.#destroyed) return;
      this.#destroyed = true;
      check("rknn_destroy", await this.#lib.symbols.rknn_destroy(this.#ctx));
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn, fn);
    this.#tail = run.catch(() => undefined);
    return run;
  }
}
