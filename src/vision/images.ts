/**
 * A request's images, from the messages to the embeddings the language model takes, in steps the
 * engine places around its NPU lease:
 *
 * 1. `collectImages(messages, settings)` while planning: which images, in prompt order, each with
 *    a digest of its bytes (the KV cache compares pictures by it) and what is wrong with it, if
 *    anything can be seen without decoding; `checkSendable` refuses the ones a turn would send;
 * 2. `loadImages(collected, opts)`: their file bytes (base64, data URL, allowed fetch);
 * 3. `embedImages(loaded, encoder, opts)`: decode, orient, pad, resize, convert to the encoder's
 *    tensor and run the encoder, one image at a time (one picture's pixels in memory at once).
 *
 * Imports src/vision, the message vocabulary and the runtime's plain interface; no FFI.
 */
import { createHash } from "node:crypto";
import type { ChatMessage, ImageInput } from "../chat/messages.ts";
import { InvalidRequestError } from "../errors.ts";
import type { VisionEncoder } from "../rkllm/npu.ts";
import { checkImage, decodeImage } from "./decode.ts";
import { ImageTooLargeError } from "./errors.ts";
import {
  checkRemoteAllowed,
  inlineImageBytes,
  loadImageBytes,
  type SourceOptions,
} from "./image_source.ts";
import type { Rgb } from "./raster.ts";
import { padAndResize } from "./resize.ts";
import type { VisionSettings } from "./settings.ts";
import { toTensor } from "./tensor.ts";

export interface CollectedImage {
  input: ImageInput;
  /** Where it came from, for error messages: `messages[2].images[0]`. */
  param: string;
  /** Index of its message in the request. */
  message: number;
  /**
   * SHA-256 of the file bytes (of the URL for a remote image, of the data as sent when it does
   * not decode): the same picture sent again has the same digest.
   */
  digest: string;
  /**
   * What is wrong with it (not base64, over a limit, not an image, truncated, a refused URL),
   * thrown only if a turn sends it: an image in trimmed-away history costs nothing.
   */
  problem: InvalidRequestError | null;
}

export interface LoadedImage {
  bytes: Uint8Array;
  param: string;
}

export type CollectSettings = Pick<
  VisionSettings,
  "maxImageBytes" | "maxImagePixels" | "remoteImages"
>;

/** Every image of `messages`, in order, with its digest and any problem. */
export function collectImages(
  messages: readonly ChatMessage[],
  settings: CollectSettings,
): CollectedImage[] {
  const out: CollectedImage[] = [];
  messages.forEach((m, i) =>
    m.images?.forEach((input, j) => {
      const param = `messages[${i}].images[${j}]`;
      out.push({ input, param, message: i, ...inspect(input, { settings, param }) });
    })
  );
  return out;
}

function inspect(
  input: ImageInput,
  opts: { settings: CollectSettings; param: string },
): Pick<CollectedImage, "digest" | "problem"> {
  try {
    const bytes = inlineImageBytes(input, opts);
    if (bytes === null) {
      const url = (input as { url: string }).url.trim();
      checkRemoteAllowed(opts);
      return { digest: sha256(`url:${url}`), problem: null };
    }
    checkImage(bytes, { ...opts.settings, param: opts.param });
    return { digest: sha256(bytes), problem: null };
  } catch (err) {
    if (!(err instanceof InvalidRequestError)) throw err;
    return { digest: sha256(input.kind === "url" ? input.url : input.data), problem: err };
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Refuses a turn that would send more images than the limit, or an image found bad. */
export function checkSendable(
  images: readonly CollectedImage[],
  settings: Pick<VisionSettings, "maxImagesPerRequest">,
): void {
  if (images.length > settings.maxImagesPerRequest) {
    throw new ImageTooLargeError(
      `The turn has ${images.length} images; the limit is ${settings.maxImagesPerRequest} ` +
        "(setting max_images_per_request).",
      "messages",
    );
  }
  const bad = images.find((i) => i.problem !== null);
  if (bad) throw bad.problem;
}

export async function loadImages(
  images: readonly Pick<CollectedImage, "input" | "param">[],
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
  /** The padding colour around a resized image (mid grey, as Rockchip's demo pads). */
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
