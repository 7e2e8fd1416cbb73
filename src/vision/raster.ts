/**
 * The in-memory picture every decoder produces and every transform takes: 8-bit RGB, row-major,
 * no padding between rows. A leaf: imports nothing.
 */

export interface Raster {
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes, R G B per pixel. */
  readonly data: Uint8Array;
}

export type Rgb = readonly [number, number, number];

/** RGBA (decoder output) → RGB. Alpha is composited over `background`, as a viewer shows it. */
export function rgbaToRgb(
  rgba: Uint8Array | Uint8ClampedArray,
  width: number,
  height: number,
  background: Rgb,
): Raster {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  const [br, bg, bb] = background;
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const a = rgba[j + 3];
    const o = i * 3;
    if (a === 255) {
      out[o] = rgba[j];
      out[o + 1] = rgba[j + 1];
      out[o + 2] = rgba[j + 2];
    } else {
      const keep = a / 255;
      out[o] = Math.round(rgba[j] * keep + br * (1 - keep));
      out[o + 1] = Math.round(rgba[j + 1] * keep + bg * (1 - keep));
      out[o + 2] = Math.round(rgba[j + 2] * keep + bb * (1 - keep));
    }
  }
  return { width, height, data: out };
}
