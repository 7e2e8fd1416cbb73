/**
 * `RKLLMInput` with `input_type` RKLLM_INPUT_MULTIMODAL: the prompt with one placeholder per
 * image, the encoder's embeddings, the image count, tokens per image and the encoder's input size.
 * Where each field sits comes from the layout table of the runtime version (layouts.ts, checked
 * against the C probe); whether the image marker strings go into each input or were given at
 * init comes from its `imageStrings` capability (versions.ts). Buffers start zeroed; every string
 * and the embeddings are pushed to `keep`, which must stay referenced until the native run that
 * reads them settles. Part of src/rkllm.
 */
import { IMAGE_PLACEHOLDER, type NpuImages } from "./npu.ts";
import {
  cString,
  field,
  InputType,
  type InputValues,
  type KeepAlive,
  pointerValue,
} from "./structs.ts";
import type { RuntimeVersion } from "./versions.ts";

export function encodeMultimodalInput(
  version: RuntimeVersion,
  v: InputValues,
  images: NpuImages,
  keep: KeepAlive,
): Uint8Array<ArrayBuffer> {
  checkImages(v.prompt, images);
  const t = version.layout.RKLLMInput;
  const buf = new Uint8Array(t.__size);
  const view = new DataView(buf.buffer);
  const pointer = (bytes: Uint8Array<ArrayBuffer>): bigint => {
    keep.push(bytes);
    return pointerValue(bytes);
  };
  const { embeddings } = images;
  const embed = new Uint8Array(embeddings.buffer, embeddings.byteOffset, embeddings.byteLength);
  view.setBigUint64(field(t, "role"), pointer(cString(v.role)), true);
  view.setUint8(field(t, "enable_thinking"), v.enableThinking ? 1 : 0);
  view.setInt32(field(t, "input_type"), InputType.MULTIMODAL, true);
  view.setBigUint64(field(t, "multimodal_input.prompt"), pointer(cString(v.prompt)), true);
  // The image fields sit in a nested struct where the layout has one (1.3.0), else inline.
  const image = t["multimodal_input.image"] === undefined
    ? "multimodal_input."
    : "multimodal_input.image.";
  const size = (name: string, value: number): void =>
    view.setBigUint64(field(t, image + name), BigInt(value), true);
  view.setBigUint64(field(t, `${image}image_embed`), pointer(embed), true);
  size("n_image_tokens", images.tokensPerImage);
  size("n_image", images.count);
  size("image_width", images.width);
  size("image_height", images.height);
  if (version.capabilities.imageStrings === "input") {
    const { start, end, content } = images.tags;
    for (const [name, text] of [["start", start], ["end", end], ["content", content]]) {
      view.setBigUint64(field(t, `${image}image_${name}`), pointer(cString(text)), true);
    }
  }
  return buf;
}

/** A mismatch here would make the runtime read past the embeddings: refuse it before the call. */
function checkImages(prompt: string, images: NpuImages): void {
  const placeholders = prompt.split(IMAGE_PLACEHOLDER).length - 1;
  if (placeholders !== images.count) {
    throw new RangeError(
      `prompt has ${placeholders} ${IMAGE_PLACEHOLDER} placeholders for ${images.count} images`,
    );
  }
  const rows = images.count * images.tokensPerImage;
  const floats = images.embeddings.length;
  if (images.count < 1 || images.tokensPerImage < 1 || floats === 0 || floats % rows !== 0) {
    throw new RangeError(
      `${images.embeddings.length} embedding floats do not split into ${images.count} images × ` +
        `${images.tokensPerImage} tokens`,
    );
  }
}
