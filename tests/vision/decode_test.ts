import assert from "node:assert/strict";
import { decodeImage, type DecodeOptions } from "../../src/vision/decode.ts";
import { jpegScale } from "../../src/vision/decode_jpeg.ts";
import { ImageTooLargeError, InvalidImageError } from "../../src/vision/errors.ts";
import { corruptPng, gridPaint, makeJpeg, makePng, makeWebp } from "../support/images.ts";
import { httpError } from "../../src/http/errors.ts";

const OPTS: DecodeOptions = {
  maxImageBytes: 1 << 20,
  maxImagePixels: 1 << 20,
  minSide: 64,
  background: [10, 20, 30],
};

const centre = (r: { width: number; height: number; data: Uint8Array }, x: number, y: number) => {
  const o = (y * r.width + x) * 3;
  return [r.data[o], r.data[o + 1], r.data[o + 2]];
};

function near(got: number[], want: readonly number[], tolerance: number): boolean {
  return got.every((v, i) => Math.abs(v - want[i]) <= tolerance);
}

Deno.test("decodeImage() decodes JPEG, PNG and WebP to the same RGB picture", async (t) => {
  const files: Array<[string, Uint8Array, number]> = [
    ["JPEG", makeJpeg(48, 32, gridPaint), 12],
    ["PNG", makePng(48, 32, gridPaint), 0],
    ["WebP lossless", await makeWebp(48, 32, gridPaint, { lossless: true }), 0],
    ["WebP lossy", await makeWebp(48, 32, gridPaint), 20],
  ];
  for (const [name, bytes, tolerance] of files) {
    await t.step(name, () => {
      const r = decodeImage(bytes, OPTS);
      assert.deepEqual([r.width, r.height, r.data.length], [48, 32, 48 * 32 * 3]);
      assert.ok(near(centre(r, 8, 8), [220, 30, 30], tolerance), `${centre(r, 8, 8)}`);
      assert.ok(near(centre(r, 40, 24), [40, 220, 220], tolerance), `${centre(r, 40, 24)}`);
    });
  }
});

Deno.test("decodeImage() composites transparent PNG pixels over the background", () => {
  const r = decodeImage(makePng(4, 4, () => [200, 200, 200], { alpha: 0 }), OPTS);
  assert.deepEqual(centre(r, 1, 1), [10, 20, 30]);
  const half = decodeImage(makePng(4, 4, () => [210, 220, 230], { alpha: 128 }), OPTS);
  assert.ok(near(centre(half, 1, 1), [110, 120, 130], 1), `${centre(half, 1, 1)}`);
});

Deno.test("decodeImage() decodes a large JPEG in the DCT domain at the smallest sufficient scale", () => {
  const big = makeJpeg(1600, 1200, (x, y) => gridPaint(x * 48 / 1600, y * 32 / 1200), {
    quality: 80,
  });
  const r = decodeImage(big, {
    ...OPTS,
    maxImagePixels: 2_000_000,
    maxImageBytes: 1 << 24,
    minSide: 448,
  });
  // 1600 × 3/8 = 600 ≥ 448, while 2/8 (400) would be too small.
  assert.deepEqual([r.width, r.height], [600, 450]);
});

Deno.test("jpegScale() picks the smallest k/8 whose longer side reaches the encoder side", async (t) => {
  const rows: Array<[[number, number], number, [number, number]]> = [
    [[4000, 3000], 448, [500, 375]],
    [[3000, 4000], 448, [375, 500]],
    [[1600, 1200], 448, [600, 450]],
    [[448, 300], 448, [448, 300]],
    [[100, 50], 448, [100, 50]],
    [[4001, 3001], 448, [501, 376]],
  ];
  for (const [[w, h], side, [ew, eh]] of rows) {
    await t.step(`${w}x${h} for ${side}`, () => {
      assert.deepEqual(jpegScale({ width: w, height: h }, side), { width: ew, height: eh });
    });
  }
});

Deno.test("decodeImage() refuses bad data with a typed 400 naming the problem", async (t) => {
  const jpeg = makeJpeg(48, 32, gridPaint);
  const png = makePng(48, 32, gridPaint);
  const webp = await makeWebp(48, 32, gridPaint);
  const text = new TextEncoder();
  const rows: Array<
    [string, Uint8Array, Partial<DecodeOptions>, typeof InvalidImageError, RegExp]
  > = [
    ["empty", new Uint8Array(0), {}, InvalidImageError, /empty/],
    [
      "plain text",
      text.encode("hello, this is not a picture"),
      {},
      InvalidImageError,
      /not an image/,
    ],
    [
      "GIF",
      text.encode("GIF89a\x01\x00\x01\x00"),
      {},
      InvalidImageError,
      /GIF images are not supported/,
    ],
    ["SVG", text.encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), {}, InvalidImageError, /SVG/],
    ["over max_image_bytes", jpeg, { maxImageBytes: 100 }, ImageTooLargeError, /max_image_bytes/],
    [
      "over max_image_pixels",
      png,
      { maxImagePixels: 1000 },
      ImageTooLargeError,
      /48x32 .*max_image_pixels/,
    ],
    [
      "truncated JPEG",
      jpeg.subarray(0, jpeg.length - 200),
      {},
      InvalidImageError,
      /JPEG data is truncated/,
    ],
    [
      "truncated PNG",
      png.subarray(0, png.length - 30),
      {},
      InvalidImageError,
      /PNG data is truncated/,
    ],
    [
      "truncated WebP",
      webp.subarray(0, webp.length - 40),
      {},
      InvalidImageError,
      /WebP data is truncated/,
    ],
    ["JPEG header only", jpeg.subarray(0, 20), {}, InvalidImageError, /JPEG header is corrupt/],
    ["corrupt PNG data", corruptPng(png), {}, InvalidImageError, /PNG data could not be decoded/],
  ];
  for (const [name, bytes, opts, type, message] of rows) {
    await t.step(name, () => {
      assert.throws(() => decodeImage(bytes, { ...OPTS, ...opts, param: "messages[0]" }), (err) => {
        assert.ok(err instanceof type, `${name}: ${err}`);
        assert.equal(httpError(err).status, 400);
        assert.equal(err.param, "messages[0]");
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

Deno.test("decodeImage() keeps working after a codec failure (the wasm instance is replaced)", () => {
  const jpeg = makeJpeg(48, 32, gridPaint);
  const broken = new Uint8Array(jpeg);
  // Destroy the frame header's component count: libjpeg's fatal error exit (longjmp).
  const sof = broken.findIndex((b, i) => b === 0xff && broken[i + 1] === 0xc0);
  broken[sof + 9] = 0;
  assert.throws(() => decodeImage(broken, OPTS), InvalidImageError);
  assert.equal(decodeImage(jpeg, OPTS).width, 48);
});

/** A PNG whose first IDAT payload is overwritten (the zlib stream no longer inflates). */
