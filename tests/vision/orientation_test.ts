import assert from "node:assert/strict";
import { decodeImage } from "../../src/vision/decode.ts";
import { applyOrientation, readOrientation } from "../../src/vision/orientation.ts";
import type { Raster } from "../../src/vision/raster.ts";
import { GRID_COLOURS, gridPaint, makeJpeg } from "../support/images.ts";

const [R, G, B, Y, M, C] = GRID_COLOURS;

/** How the stored 3×2 grid (R G B / Y M C) must look after each EXIF orientation, row by row. */
const DISPLAYED: Record<number, ReadonlyArray<ReadonlyArray<readonly number[]>>> = {
  1: [[R, G, B], [Y, M, C]],
  2: [[B, G, R], [C, M, Y]],
  3: [[C, M, Y], [B, G, R]],
  4: [[Y, M, C], [R, G, B]],
  5: [[R, Y], [G, M], [B, C]],
  6: [[Y, R], [M, G], [C, B]],
  7: [[C, B], [M, G], [Y, R]],
  8: [[B, C], [G, M], [R, Y]],
};

function blockColour(r: Raster, col: number, row: number): number[] {
  const o = ((row * 16 + 8) * r.width + col * 16 + 8) * 3;
  return [r.data[o], r.data[o + 1], r.data[o + 2]];
}

function assertGrid(r: Raster, expected: ReadonlyArray<ReadonlyArray<readonly number[]>>) {
  assert.equal(r.width, expected[0].length * 16);
  assert.equal(r.height, expected.length * 16);
  expected.forEach((row, y) =>
    row.forEach((want, x) => {
      const got = blockColour(r, x, y);
      assert.ok(
        got.every((v, k) => Math.abs(v - want[k]) <= 12),
        `block (${x},${y}): got ${got}, want ${want}`,
      );
    })
  );
}

const OPTS = {
  maxImageBytes: 1 << 20,
  maxImagePixels: 1 << 20,
  minSide: 64,
  background: [0, 0, 0] as const,
};

Deno.test("decodeImage() shows a JPEG upright for each of the 8 EXIF orientations", async (t) => {
  for (let o = 1; o <= 8; o++) {
    await t.step(`orientation ${o}`, () => {
      const bytes = makeJpeg(48, 32, gridPaint, { orientation: o });
      assertGrid(decodeImage(bytes, OPTS), DISPLAYED[o]);
    });
  }
});

Deno.test("applyOrientation() maps exact pixels of a 3x2 raster", async (t) => {
  // Stored pixels numbered 0..5 (row-major); each value is its own index in every channel.
  const stored: Raster = {
    width: 3,
    height: 2,
    data: Uint8Array.from([0, 1, 2, 3, 4, 5].flatMap((v) => [v, v, v])),
  };
  const rows: Array<[number, number[][]]> = [
    [1, [[0, 1, 2], [3, 4, 5]]],
    [2, [[2, 1, 0], [5, 4, 3]]],
    [3, [[5, 4, 3], [2, 1, 0]]],
    [4, [[3, 4, 5], [0, 1, 2]]],
    [5, [[0, 3], [1, 4], [2, 5]]],
    [6, [[3, 0], [4, 1], [5, 2]]],
    [7, [[5, 2], [4, 1], [3, 0]]],
    [8, [[2, 5], [1, 4], [0, 3]]],
  ];
  for (const [o, expected] of rows) {
    await t.step(`orientation ${o}`, () => {
      const r = applyOrientation(stored, o as 1);
      const got = Array.from(
        { length: r.height },
        (_, y) => Array.from({ length: r.width }, (_, x) => r.data[(y * r.width + x) * 3]),
      );
      assert.deepEqual(got, expected);
    });
  }
});

Deno.test("readOrientation() reads both byte orders and falls back to 1", async (t) => {
  const tiff = (le: boolean, value: number, type = 3) => {
    const b = new Uint8Array(26);
    const v = new DataView(b.buffer);
    b.set(new TextEncoder().encode(le ? "II" : "MM"));
    v.setUint16(2, 42, le);
    v.setUint32(4, 8, le);
    v.setUint16(8, 1, le);
    v.setUint16(10, 0x0112, le);
    v.setUint16(12, type, le);
    v.setUint32(14, 1, le);
    v.setUint16(18, value, le);
    return b;
  };
  const rows: Array<[string, Uint8Array | null, number]> = [
    ["little-endian 6", tiff(true, 6), 6],
    ["big-endian 8", tiff(false, 8), 8],
    ["value 0 is invalid", tiff(true, 0), 1],
    ["value 9 is invalid", tiff(true, 9), 1],
    ["wrong type", tiff(true, 6, 4), 1],
    ["no block", null, 1],
    ["cut short", tiff(true, 6).subarray(0, 12), 1],
    ["not TIFF", new TextEncoder().encode("hello world, not tiff"), 1],
  ];
  for (const [name, block, expected] of rows) {
    await t.step(name, () => assert.equal(readOrientation(block), expected));
  }
});
