/**
 * Pad-to-square and resize in one separable pass: the picture is centred on a square of its
 * longer side filled with the encoder's background colour (as Rockchip's multimodal demo and
 * MiniCPM-V's `expand2square` do), and that square is resampled to the encoder's input size.
 * Shrinking averages the covered area (no aliasing on large downscales); enlarging is bilinear.
 * Pure; imports only the raster type.
 */
import type { Raster, Rgb } from "./raster.ts";

/** Per output position: source taps (-1 = background) and their weights, flattened. */
interface Taps {
  start: Int32Array;
  index: Int32Array;
  weight: Float32Array;
}

/**
 * Taps along one axis: output length `outLen` over a virtual line of `side` samples whose
 * positions [offset, offset + len) hold the picture and the rest the background.
 */
export function axisTaps(outLen: number, side: number, offset: number, len: number): Taps {
  const scale = side / outLen;
  const index: number[] = [];
  const weight: number[] = [];
  const start = new Int32Array(outLen + 1);
  const source = (u: number) => (u >= offset && u < offset + len ? u - offset : -1);
  for (let i = 0; i < outLen; i++) {
    start[i] = index.length;
    if (scale > 1) {
      const from = i * scale;
      const to = from + scale;
      for (let u = Math.floor(from); u < Math.min(Math.ceil(to), side); u++) {
        const cover = Math.min(to, u + 1) - Math.max(from, u);
        if (cover > 0) {
          index.push(source(u));
          weight.push(cover / scale);
        }
      }
    } else {
      const center = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), side - 1);
      const u0 = Math.floor(center);
      const u1 = Math.min(u0 + 1, side - 1);
      const f = center - u0;
      index.push(source(u0));
      weight.push(1 - f);
      if (f > 0) {
        index.push(source(u1));
        weight.push(f);
      }
    }
  }
  start[outLen] = index.length;
  return { start, index: Int32Array.from(index), weight: Float32Array.from(weight) };
}

/** `r` centred on a square of `background`, resampled to `width` × `height`. */
export function padAndResize(r: Raster, width: number, height: number, background: Rgb): Raster {
  const side = Math.max(r.width, r.height);
  const ox = Math.floor((side - r.width) / 2);
  const oy = Math.floor((side - r.height) / 2);
  const tx = axisTaps(width, side, ox, r.width);
  const ty = axisTaps(height, side, oy, r.height);
  const [br, bg, bb] = background;

  // Horizontal pass over the picture's rows only; background rows are added in the vertical pass.
  const rowLen = width * 3;
  const tmp = new Float32Array(rowLen * r.height);
  const src = r.data;
  for (let y = 0; y < r.height; y++) {
    const row = y * r.width * 3;
    const o = y * rowLen;
    for (let x = 0; x < width; x++) {
      let cr = 0, cg = 0, cb = 0;
      for (let t = tx.start[x]; t < tx.start[x + 1]; t++) {
        const w = tx.weight[t];
        const s = tx.index[t];
        if (s < 0) {
          cr += w * br, cg += w * bg, cb += w * bb;
        } else {
          const p = row + s * 3;
          cr += w * src[p], cg += w * src[p + 1], cb += w * src[p + 2];
        }
      }
      tmp[o + x * 3] = cr;
      tmp[o + x * 3 + 1] = cg;
      tmp[o + x * 3 + 2] = cb;
    }
  }

  const out = new Uint8Array(rowLen * height);
  const acc = new Float32Array(rowLen);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let t = ty.start[y]; t < ty.start[y + 1]; t++) {
      const w = ty.weight[t];
      const s = ty.index[t];
      if (s < 0) {
        for (let k = 0; k < rowLen; k += 3) {
          acc[k] += w * br, acc[k + 1] += w * bg, acc[k + 2] += w * bb;
        }
      } else {
        const o = s * rowLen;
        for (let k = 0; k < rowLen; k++) acc[k] += w * tmp[o + k];
      }
    }
    const o = y * rowLen;
    for (let k = 0; k < rowLen; k++) out[o + k] = Math.round(acc[k]); // weights sum to 1: stays in 0..255
  }
  return { width, height, data: out };
}
