/**
 * A request's images, from the messages to the embeddings the language model takes, in three
 * steps so the engine can place them around its NPU lease:
 *
 * 1. `collectImages(messages, settings)`: which images, in prompt order, with the count limit;
 * 2. `loadImages(collected, opts)`: their file bytes (base64, data URL, allowed fetch) — before
 *    the lease, so a slow download never holds the NPU;
 * 3. `embedImages(loaded, encoder, opts)`: decode, orient, pad, resize, convert to the encoder's
 *    tensor and run the encoder, one image at a time (one picture's pixels in memory at once).
 *
 * Also the prompt side: the `<image>` tag the runtime replaces with an image's tokens.
 * Imports src/vision, the message vocabulary and the encoder's plain interface; no FFI.
 */
import type { ChatMessage, ImageInput } from "../chat/messages.ts";
import type { VisionEncoder } from "../rkllm/rknn/vision_encoder.ts";
import { decodeImage } from "./decode.ts";
import { ImageTooLargeError } from "./errors.ts";
import { loadImageBytes, type SourceOptions } from "./image_source.ts";
import type { Rgb } from "./raster.ts";
import { padAndResize } from "./resize.ts";
import type { VisionSettings } from "./settings.ts";
import { toTensor } from "./tensor.ts";

/** The placeholder the runtime expands to img_start + n_image_tokens × img_content + img_end. */
export const IMAGE_TAG = "<image>";

export interface CollectedImage {
  input: ImageInput;
  /** Where it came from, for error messages: `messages[2].images[0]`. */
  param: string;
  /** Index of its message in the request. */
  message: number;
}

export interface LoadedImage {
  bytes: Uint8Array;
  param: string;
}

/** Every image of `messages`, in order; over `maxImagesPerRequest` is a 400. */
export function collectImages(
  messages: readonly ChatMessage[],
  settings: Pick<VisionSettings, "maxImagesPerRequest">,
): CollectedImage[] {
  const out: CollectedImage[] = [];
  messages.forEach((m, i) =>
    m.images?.forEach((input, j) =>
      out.push({ input, param: `messages[${i}].images[${j}]`, message: i })
    )
  );
  if (out.length > settings.maxImagesPerRequest) {
    throw new ImageTooLargeError(
      `The request has ${out.length} images; the limit is ${settings.maxImagesPerRequest} ` +
        "(setting max_images_per_request).",
      "messages",
    );
  }
  return out;
}

export async function loadImages(
  images: readonly CollectedImage[],
  opts: Omit<SourceOptions, "param">,
): Promise<LoadedImage[]> {
  return await Promise.all(
    images.map(async (img) => ({
      bytes: await loadImageBytes(img.input, { ...opts, param: img.param }),
      param: img.param,
    })),
  );
}

export interface EmbedOptions {
  settings: Pick<VisionSettings, "maxImageBytes" | "maxImagePixels">;
  /** The model family's padding colour (Rockchip's demo and MiniCPM-V use mid grey). */
  background: Rgb;
}

/** What `RKLLMMultiModalInput` needs besides the prompt. */
export interface ImageEmbeddings {
  /** nImages × the encoder's floatsPerImage floats, images in prompt order. */
  embeddings: Float32Array<ArrayBuffer>;
  nImages: number;
  nImageTokens: number;
  embedDim: number;
  /** The encoder's input size (the runtime derives position ids from it). */
  width: number;
  height: number;
}

export async function embedImages(
  images: readonly LoadedImage[],
  encoder: VisionEncoder,
  opts: EmbedOptions,
): Promise<ImageEmbeddings> {
  const { input, nTokens, embedDim, floatsPerImage: per } = encoder;
  const embeddings = new Float32Array(images.length * per);
  for (const [i, img] of images.entries()) {
    const tensor = prepareTensor(img.bytes, encoder, opts, img.param);
    embeddings.set(await encoder.encode(tensor), i * per);
  }
  return {
    embeddings,
    nImages: images.length,
    nImageTokens: nTokens,
    embedDim,
    width: input.width,
    height: input.height,
  };
}

/** One image's file bytes → the encoder's input tensor. */
export function prepareTensor(
  bytes: Uint8Array,
  encoder: Pick<VisionEncoder, "input">,
  opts: EmbedOptions,
  param: string | null = null,
): Uint8Array<ArrayBuffer> {
  const { input } = encoder;
  const raster = decodeImage(bytes, {
    ...opts.settings,
    minSide: Math.max(input.width, input.height),
    background: opts.background,
    param,
  });
  return toTensor(padAndResize(raster, input.width, input.height, opts.background), input);
}

/**
 * A user turn's text with its images' tags in front (the order Rockchip's demos and Ollama
 * use). Tags the client typed are defused first: the runtime counts tags against `n_image`.
 */
export function withImageTags(text: string, images: number): string {
  const tags = IMAGE_TAG.repeat(images);
  return images > 0 ? `${tags}\n${escapeImageTags(text)}` : escapeImageTags(text);
}

/** Literal `<image>` in client text → `< image>`, so only the server's tags reach the runtime. */
export function escapeImageTags(text: string): string {
  return text.replaceAll(IMAGE_TAG, "< image>");
}
