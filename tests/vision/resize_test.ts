import assert from "node:assert/strict";
import { axisTaps, padAndResize } from "../../src/vision/resize.ts";
import type { Raster } from "../../src/vision/raster.ts";

function solid(width: number, height: number, rgb: [number, number, number]): Raster {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width, height, data };
}

const pixel = (r: Raster, x: number, y: number) => {
  const o = (y * r.width + x) * 3;
  return [r.data[o], r.data[o + 1], r.data[o + 2]];
};

Deno.test("axisTaps() weights: area average down, bilinear up, -1 for padding", async (t) => {
  const rows: Array<[string, [number, number, number, number], Array<Array<[number, number]>>]> = [
    ["identity", [3, 3, 0, 3], [[[0, 1]], [[1, 1]], [[2, 1]]]],
    ["halve", [2, 4, 0, 4], [[[0, 0.5], [1, 0.5]], [[2, 0.5], [3, 0.5]]]],
    ["padding on both sides", [4, 4, 1, 2], [[[-1, 1]], [[0, 1]], [[1, 1]], [[-1, 1]]]],
    ["3 → 2 covers fractions", [2, 3, 0, 3], [[[0, 2 / 3], [1, 1 / 3]], [[1, 1 / 3], [2, 2 / 3]]]],
    ["double", [4, 2, 0, 2], [[[0, 1]], [[0, 0.75], [1, 0.25]], [[0, 0.25], [1, 0.75]], [[1, 1]]]],
  ];
  for (const [name, [outLen, side, offset, len], expected] of rows) {
    await t.step(name, () => {
      const taps = axisTaps(outLen, side, offset, len);
      const got = Array.from(
        { length: outLen },
        (_, i) =>
          Array.from({ length: taps.start[i + 1] - taps.start[i] }, (_, k) => {
            const j = taps.start[i] + k;
            return [taps.index[j], Math.round(taps.weight[j] * 1e6) / 1e6] as [number, number];
          }),
      );
      const rounded = expected.map((e) => e.map(([i, w]) => [i, Math.round(w * 1e6) / 1e6]));
      assert.deepEqual(got, rounded);
    });
  }
});

Deno.test("padAndResize() centres a wide picture on a square of the background", () => {
  // 4x2 red → square 4x4 (rows 0 and 3 background) → 4x4: no scaling, only padding.
  const out = padAndResize(solid(4, 2, [255, 0, 0]), 4, 4, [127, 127, 127]);
  assert.deepEqual(pixel(out, 0, 0), [127, 127, 127]);
  assert.deepEqual(pixel(out, 2, 1), [255, 0, 0]);
  assert.deepEqual(pixel(out, 3, 2), [255, 0, 0]);
  assert.deepEqual(pixel(out, 1, 3), [127, 127, 127]);
});

Deno.test("padAndResize() pads a tall picture left and right", () => {
  const out = padAndResize(solid(2, 4, [0, 0, 255]), 4, 4, [1, 2, 3]);
  assert.deepEqual([0, 1, 2, 3].map((x) => pixel(out, x, 2)), [
    [1, 2, 3],
    [0, 0, 255],
    [0, 0, 255],
    [1, 2, 3],
  ]);
});

Deno.test("padAndResize() averages on a large downscale (no aliasing)", () => {
  // A 1-pixel checkerboard of black and white shrinks to uniform grey, not to a moiré.
  const w = 64;
  const data = new Uint8Array(w * w * 3);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      data.fill((x + y) % 2 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  const out = padAndResize({ width: w, height: w, data }, 8, 8, [0, 0, 0]);
  for (let i = 0; i < out.data.length; i++) assert.ok(Math.abs(out.data[i] - 128) <= 1);
});

Deno.test("padAndResize() of a square picture to its own size is the identity", () => {
  const data = Uint8Array.from({ length: 5 * 5 * 3 }, (_, i) => (i * 37) % 256);
  const out = padAndResize({ width: 5, height: 5, data }, 5, 5, [0, 0, 0]);
  assert.deepEqual(out.data, data);
});
