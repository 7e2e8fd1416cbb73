/**
 * `RKLLMInput` with `input_type` RKLLM_INPUT_MULTIMODAL, for both runtime ABIs:
 *
 * - 1.2.3: a flat 48-byte `RKLLMMultiModalInput` (prompt, image_embed, n_image_tokens, n_image,
 *   image_width, image_height); the image marker strings are `RKLLMParam.img_*`, set at init;
 * - 1.3.0: `prompt` plus a nested `image` struct that carries the marker strings per input
 *   (`image_start`, `image_end`, `image_content`) and a `video` struct (left zero).
 *
 * Offsets are named in the shape the C probe prints (`tests/mock/probe.c`) and checked against
 * it by a test. Buffers start zeroed; every string and the embeddings are returned in `keep`,
 * which must stay referenced until the native run that reads them settles. Part of src/rkllm.
 */

export type MultimodalAbi = "1.2.3" | "1.3.0";

/** The model's image marker tokens (e.g. Qwen2.5-VL `<|vision_start|>`, `<|vision_end|>`, `<|image_pad|>`). */
export interface ImageTags {
  start: string;
  end: string;
  content: string;
}

export interface MultimodalValues {
  role: "user" | "tool";
  enableThinking: boolean;
  /** The turn's text with one `<image>` tag per image, in image order. */
  prompt: string;
  /** nImages × nImageTokens × (floats per token) embeddings, images in prompt order. */
  embeddings: Float32Array<ArrayBuffer>;
  nImages: number;
  nImageTokens: number;
  /** The vision encoder's input size. */
  width: number;
  height: number;
  /** Per input in 1.3.0; ignored in 1.2.3 (see `writeParamImageTags`). */
  tags: ImageTags;
}

type Table = Readonly<Record<string, number>>;

const INPUT_HEADER = { role: 0, enable_thinking: 8, input_type: 12, multimodal_input: 16 };

/** `RKLLMInput` offsets of the fields a multimodal input sets. */
export const MULTIMODAL_LAYOUTS: Readonly<Record<MultimodalAbi, Table>> = {
  "1.2.3": {
    __size: 64,
    ...INPUT_HEADER,
    "multimodal_input.prompt": 16,
    "multimodal_input.image_embed": 24,
    "multimodal_input.n_image_tokens": 32,
    "multimodal_input.n_image": 40,
    "multimodal_input.image_width": 48,
    "multimodal_input.image_height": 56,
  },
  "1.3.0": {
    __size: 160,
    ...INPUT_HEADER,
    "multimodal_input.prompt": 16,
    "multimodal_input.image.image_embed": 24,
    "multimodal_input.image.n_image_tokens": 32,
    "multimodal_input.image.n_image": 40,
    "multimodal_input.image.image_start": 48,
    "multimodal_input.image.image_end": 56,
    "multimodal_input.image.image_content": 64,
    "multimodal_input.image.image_width": 72,
    "multimodal_input.image.image_height": 80,
  },
};

/** `RKLLMParam` offsets of the 1.2.3 init-time image markers (1.3.0 has none). */
export const PARAM_IMAGE_TAGS: Readonly<Record<"1.2.3", Table>> = {
  "1.2.3": { img_start: 64, img_end: 72, img_content: 80 },
};

const RKLLM_INPUT_MULTIMODAL = 3;
const IMAGE_TAG = "<image>";

export interface EncodedInput {
  input: Uint8Array<ArrayBuffer>;
  keep: Uint8Array<ArrayBuffer>[];
}

export function encodeMultimodalInput(abi: MultimodalAbi, v: MultimodalValues): EncodedInput {
  checkValues(v);
  const t = MULTIMODAL_LAYOUTS[abi];
  const input = new Uint8Array(t.__size);
  const view = new DataView(input.buffer);
  const keep: Uint8Array<ArrayBuffer>[] = [];
  const pointer = (buf: Uint8Array<ArrayBuffer>): bigint => {
    keep.push(buf);
    return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
  };
  const embed = new Uint8Array(
    v.embeddings.buffer,
    v.embeddings.byteOffset,
    v.embeddings.byteLength,
  );
  view.setBigUint64(t.role, pointer(cString(v.role)), true);
  view.setUint8(t.enable_thinking, v.enableThinking ? 1 : 0);
  view.setInt32(t.input_type, RKLLM_INPUT_MULTIMODAL, true);
  view.setBigUint64(t["multimodal_input.prompt"], pointer(cString(v.prompt)), true);
  const image = abi === "1.2.3" ? "multimodal_input." : "multimodal_input.image.";
  view.setBigUint64(t[`${image}image_embed`], pointer(embed), true);
  view.setBigUint64(t[`${image}n_image_tokens`], BigInt(v.nImageTokens), true);
  view.setBigUint64(t[`${image}n_image`], BigInt(v.nImages), true);
  view.setBigUint64(t[`${image}image_width`], BigInt(v.width), true);
  view.setBigUint64(t[`${image}image_height`], BigInt(v.height), true);
  if (abi === "1.3.0") {
    view.setBigUint64(t[`${image}image_start`], pointer(cString(v.tags.start)), true);
    view.setBigUint64(t[`${image}image_end`], pointer(cString(v.tags.end)), true);
    view.setBigUint64(t[`${image}image_content`], pointer(cString(v.tags.content)), true);
  }
  return { input, keep };
}

/**
 * 1.2.3 reads the image markers once, from `RKLLMParam` at `rkllm_init`: point the param's
 * `img_*` fields at `tags` (strings pushed to `keep`). A no-op for 1.3.0.
 */
export function writeParamImageTags(
  abi: MultimodalAbi,
  param: Uint8Array<ArrayBuffer>,
  tags: ImageTags,
  keep: Uint8Array<ArrayBuffer>[],
): void {
  if (abi !== "1.2.3") return;
  const t = PARAM_IMAGE_TAGS[abi];
  const view = new DataView(param.buffer, param.byteOffset, param.byteLength);
  for (
    const [field, text] of [["img_start", tags.start], ["img_end", tags.end], [
      "img_content",
      tags.content,
    ]] as const
  ) {
    const s = cString(text);
    keep.push(s);
    view.setBigUint64(t[field], BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(s))), true);
  }
}

/** A mismatch here would make the runtime read past the embeddings: refuse it before the call. */
function checkValues(v: MultimodalValues): void {
  const tags = v.prompt.split(IMAGE_TAG).length - 1;
  if (tags !== v.nImages) {
    throw new RangeError(`prompt has ${tags} ${IMAGE_TAG} tags for ${v.nImages} images`);
  }
  const rows = v.nImages * v.nImageTokens;
  if (v.nImages < 1 || v.nImageTokens < 1 || v.embeddings.length % rows !== 0) {
    throw new RangeError(
      `${v.embeddings.length} embedding floats do not split into ${v.nImages} images × ` +
        `${v.nImageTokens} tokens`,
    );
  }
}

function cString(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0");
}
