/**
 * The seam between the domain and the vision encoder (an `.rknn` model run by librknnrt.so), in
 * plain TypeScript: what the domain may ask of it. `encoder.ts` implements it with FFI; tests
 * implement it with fakes. No pointers here, and no imports: this is the leaf the domain uses.
 */

/** The tensor the encoder takes, as `rknn_query(RKNN_QUERY_INPUT_ATTR)` reports it. */
export interface EncoderInput {
  width: number;
  height: number;
  /** 3: RGB. */
  channels: number;
  layout: "NHWC" | "NCHW";
  /**
   * The element type the pixels are handed over in. An int8 (quantised) model is fed uint8: the
   * runtime applies the model's own mean/std and quantisation when `pass_through` is off.
   */
  type: "uint8" | "float16" | "float32";
}

export interface VisionEncoder {
  readonly input: EncoderInput;
  /** Embedding rows per image (`n_image_tokens` for the language model). */
  readonly nTokens: number;
  /** Floats per row of one output: the language model's hidden size. */
  readonly embedDim: number;
  /**
   * Floats `encode` returns: nTokens × embedDim × the encoder's output count (Qwen3-VL encoders
   * add deepstack feature outputs; they follow the main output, output by output).
   */
  readonly floatsPerImage: number;
  /**
   * Runs the encoder on one image tensor (`input`'s layout and type, exactly
   * width × height × channels elements) and returns `floatsPerImage` floats.
   */
  encode(tensor: Uint8Array<ArrayBuffer>): Promise<Float32Array<ArrayBuffer>>;
  /** Frees the encoder's NPU memory; the object is unusable afterwards. Idempotent. */
  destroy(): Promise<void>;
}

export interface VisionEncoderOptions {
  /** NPU cores for the encoder (rknn_core_mask): 0 auto, 1/2/4 one core, 3 two, 7 all three. */
  coreMask?: number;
  /** Rows per image, for an encoder whose output does not say (a flat output). */
  imageTokens?: number;
  /** Input size, for an encoder whose input shape is dynamic (reported as 0). */
  imageSize?: { width: number; height: number };
}

export interface VisionBackend {
  /** Loads an `.rknn` vision encoder from its file path or its bytes. */
  load(
    model: string | Uint8Array<ArrayBuffer>,
    opts?: VisionEncoderOptions,
  ): Promise<VisionEncoder>;
  close(): void;
}
