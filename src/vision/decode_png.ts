/**
 * PNG → RGB with `fast-png` (pure JavaScript: nothing stays allocated between requests, unlike a
 * wasm heap). Every colour type and bit depth is reduced to 8-bit RGB; alpha is composited over
 * the encoder's background colour. Throws plain errors; decode.ts turns them into typed ones.
 */
import { convertIndexedToRgb, decode } from "fast-png";
import { type Raster, type Rgb, rgbaToRgb } from "./raster.ts";

export function decodePng(bytes: Uint8Array, background: Rgb): Raster {
  const png = decode(bytes);
  const { width, height } = png;
  if (png.palette) {
    const rgb = convertIndexedToRgb(png);
    const channels = png.palette[0]?.length ?? 3;
    return toRgb(rgb, 8, channels, width, height, background);
  }
  if (png.depth === 8 && png.data instanceof Uint8Array) {
    // The common cases, without the general per-sample path.
    if (png.channels === 3) return { width, height, data: png.data };
    if (png.channels === 4) return rgbaToRgb(png.data, width, height, background);
  }
  return toRgb(png.data, png.depth, png.channels, width, height, background);
}

/** Samples of any depth and channel count (gray, gray+alpha, RGB, RGBA) → 8-bit RGB. */
function toRgb(
  data: ArrayLike<number>,
  depth: number,
  channels: number,
  width: number,
  height: number,
  background: Rgb,
): Raster {
  const rgba = new Uint8Array(width * height * 4);
  const max = (1 << depth) - 1;
  // Rows of 1/2/4-bit samples are packed and start on a byte boundary.
  const rowBits = width * channels * depth;
  const rowBytes = Math.ceil(rowBits / 8);
  const sample = depth === 16
    ? (i: number) => data[i] >> 8
    : depth === 8
    ? (i: number) => data[i]
    : (i: number) => {
      const row = Math.floor(i / (width * channels));
      const bit = row * rowBytes * 8 + (i - row * width * channels) * depth;
      const v = (data[bit >> 3] >> (8 - depth - (bit & 7))) & max;
      return Math.round(v * 255 / max);
    };
  for (let p = 0; p < width * height; p++) {
    const i = p * channels;
    const o = p * 4;
    if (channels <= 2) {
      rgba[o] = rgba[o + 1] = rgba[o + 2] = sample(i);
      rgba[o + 3] = channels === 2 ? sample(i + 1) : 255;
    } else {
      rgba[o] = sample(i);
      rgba[o + 1] = sample(i + 1);
      rgba[o + 2] = sample(i + 2);
      rgba[o + 3] = channels === 4 ? sample(i + 3) : 255;
    }
  }
  return rgbaToRgb(rgba, width, height, background);
}
