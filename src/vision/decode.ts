/**
 * Image file bytes → an upright RGB raster, or a typed client error saying what is wrong.
 *
 * Checks run cheapest first, so hostile input costs little: file size, signature, header size
 * against the pixel limit, completeness (`checkImage`, also run alone before a request queues),
 * and only then the decoder. EXIF orientation is applied last. Imports the decoders and src/vision's pure helpers; no Deno APIs.
 */
import { exifBlock, headerSize, type ImageFormat, isComplete, sniffFormat } from "./container.ts";
import { decodeJpeg } from "./decode_jpeg.ts";
import { decodePng } from "./decode_png.ts";
import { decodeWebp } from "./decode_webp.ts";
import { ImageTooLargeError, InvalidImageError } from "./errors.ts";
import { applyOrientation, readOrientation } from "./orientation.ts";
import type { Raster, Rgb } from "./raster.ts";

export interface DecodeOptions {
  maxImageBytes: number;
  maxImagePixels: number;
  /** The encoder's longer input side: JPEGs are decoded no smaller than this (DCT scaling). */
  minSide: number;
  /** Colour behind transparent pixels. */
  background: Rgb;
  /** For error messages: which image of the request, e.g. `messages[1].content[2]`. */
  param?: string | null;
}

const NAMES: Record<ImageFormat, string> = { jpeg: "JPEG", png: "PNG", webp: "WebP" };

export function decodeImage(bytes: Uint8Array, opts: DecodeOptions): Raster {
  const param = opts.param ?? null;
  const format = checkImage(bytes, opts);
  let raster: Raster;
  try {
    raster = decodeFormat(format, bytes, opts);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new InvalidImageError(
      `The ${NAMES[format]} data could not be decoded (${why}): it is corrupt or an unsupported ` +
        "variant.",
      param,
    );
  }
  return applyOrientation(raster, readOrientation(exifBlock(format, bytes)));
}

/**
 * Everything that can be known about the bytes without decoding pixels (size, format, header,
 * pixel count, completeness): cheap, so a request can be refused before it waits for the NPU.
 */
export function checkImage(
  bytes: Uint8Array,
  opts: Pick<DecodeOptions, "maxImageBytes" | "maxImagePixels" | "param">,
): ImageFormat {
  const param = opts.param ?? null;
  if (bytes.length === 0) throw new InvalidImageError("The image is empty (0 bytes).", param);
  if (bytes.length > opts.maxImageBytes) {
    throw new ImageTooLargeError(
      `The image is ${bytes.length} bytes; the limit is ${opts.maxImageBytes} bytes ` +
        "(setting max_image_bytes).",
      param,
    );
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed === null) {
    throw new InvalidImageError(
      "The data is not an image: expected JPEG, PNG or WebP bytes.",
      param,
    );
  }
  if ("other" in sniffed) {
    throw new InvalidImageError(
      `${sniffed.other} images are not supported; send JPEG, PNG or WebP.`,
      param,
    );
  }
  const { format } = sniffed;
  const name = NAMES[format];
  const size = headerSize(format, bytes);
  if (size === null) throw new InvalidImageError(`The ${name} header is corrupt.`, param);
  const pixels = size.width * size.height;
  if (pixels > opts.maxImagePixels) {
    throw new ImageTooLargeError(
      `The image is ${size.width}x${size.height} (${pixels} pixels); the limit is ` +
        `${opts.maxImagePixels} pixels (setting max_image_pixels).`,
      param,
    );
  }
  if (!isComplete(format, bytes)) {
    throw new InvalidImageError(`The ${name} data is truncated (the file ends early).`, param);
  }
  return format;
}

function decodeFormat(format: ImageFormat, bytes: Uint8Array, opts: DecodeOptions): Raster {
  switch (format) {
    case "jpeg":
      return decodeJpeg(bytes, opts.minSide);
    case "png":
      return decodePng(bytes, opts.background);
    case "webp":
      return decodeWebp(bytes, opts.background);
  }
}
