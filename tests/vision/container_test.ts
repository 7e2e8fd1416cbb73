import assert from "node:assert/strict";
import { exifBlock, headerSize, isComplete, sniffFormat } from "../../src/vision/container.ts";
import { decodeImage } from "../../src/vision/decode.ts";
import { readOrientation } from "../../src/vision/orientation.ts";
import { gridPaint, makeJpeg, makePng, makeWebp } from "../support/images.ts";

const text = (s: string) => new TextEncoder().encode(s);

Deno.test("sniffFormat() goes by signature and names unsupported formats", async (t) => {
  const rows: Array<[string, Uint8Array, unknown]> = [
    ["JPEG", makeJpeg(16, 16, gridPaint), { format: "jpeg" }],
    ["PNG", makePng(16, 16, gridPaint), { format: "png" }],
    ["WebP", await makeWebp(16, 16, gridPaint), { format: "webp" }],
    ["GIF", text("GIF87a...."), { other: "GIF" }],
    ["BMP", text("BM......"), { other: "BMP" }],
    ["HEIC", text("\0\0\0\x18ftypheic"), { other: "HEIC/AVIF" }],
    ["PDF", text("%PDF-1.7"), { other: "PDF" }],
    ["text", text("hello"), null],
    ["empty", new Uint8Array(0), null],
  ];
  for (const [name, bytes, expected] of rows) {
    await t.step(name, () => assert.deepEqual(sniffFormat(bytes), expected));
  }
});

Deno.test("headerSize() reads every format's header without decoding", async (t) => {
  const rows: Array<[string, "jpeg" | "png" | "webp", Uint8Array]> = [
    ["JPEG", "jpeg", makeJpeg(37, 21, gridPaint)],
    ["PNG", "png", makePng(37, 21, gridPaint)],
    ["WebP lossy (VP8)", "webp", await makeWebp(37, 21, gridPaint)],
    ["WebP lossless (VP8L)", "webp", await makeWebp(37, 21, gridPaint, { lossless: true })],
    ["WebP extended (VP8X)", "webp", vp8x(37, 21)],
  ];
  for (const [name, format, bytes] of rows) {
    await t.step(
      name,
      () => assert.deepEqual(headerSize(format, bytes), { width: 37, height: 21 }),
    );
  }
  await t.step("garbage after a signature gives null", () => {
    assert.equal(headerSize("png", text("\x89PNG\r\n\x1a\nxxxx")), null);
    assert.equal(headerSize("webp", text("RIFF\0\0\0\0WEBPVP8 ")), null);
    assert.equal(headerSize("jpeg", Uint8Array.from([0xff, 0xd8, 0xff, 0xc0, 0, 1])), null);
  });
});

Deno.test("isComplete() tells a whole file from a cut one", async (t) => {
  const files: Array<["jpeg" | "png" | "webp", Uint8Array]> = [
    ["jpeg", makeJpeg(32, 32, gridPaint)],
    ["png", makePng(32, 32, gridPaint)],
    ["webp", await makeWebp(32, 32, gridPaint)],
  ];
  for (const [format, bytes] of files) {
    await t.step(format, () => {
      assert.equal(isComplete(format, bytes), true);
      assert.equal(isComplete(format, bytes.subarray(0, Math.floor(bytes.length * 0.8))), false);
    });
  }
  await t.step("an EOI inside the EXIF thumbnail does not count", () => {
    const jpeg = makeJpeg(32, 32, gridPaint, { orientation: 1 });
    // FF D9 planted in the EXIF block's unused next-IFD field, before the scan.
    jpeg.set([0xff, 0xd9], 34);
    assert.equal(isComplete("jpeg", jpeg), true);
    const sos = jpeg.findIndex((b, i) => b === 0xff && jpeg[i + 1] === 0xda);
    assert.ok(sos > 36);
    assert.equal(isComplete("jpeg", jpeg.subarray(0, sos + 20)), false);
  });
});

Deno.test("exifBlock() finds EXIF in JPEG APP1, PNG eXIf and WebP EXIF chunks", () => {
  const tiff = Uint8Array.from([
    0x4d,
    0x4d,
    0,
    42,
    0,
    0,
    0,
    8,
    0,
    1,
    1,
    0x12,
    0,
    3,
    0,
    0,
    0,
    1,
    0,
    6,
    0,
    0,
    0,
    0,
    0,
    0,
  ]);
  assert.equal(
    readOrientation(exifBlock("jpeg", makeJpeg(16, 16, gridPaint, { orientation: 6 }))),
    6,
  );
  const png = withPngChunk(makePng(48, 32, gridPaint), "eXIf", tiff);
  assert.equal(readOrientation(exifBlock("png", png)), 6);
  // The orientation reaches the decoded picture: 48x32 stored, 32x48 shown.
  const shown = decodeImage(png, {
    maxImageBytes: 1 << 20,
    maxImagePixels: 1 << 20,
    minSide: 64,
    background: [0, 0, 0],
  });
  assert.deepEqual([shown.width, shown.height], [32, 48]);
  const webp = vp8x(4, 4, tiff);
  assert.equal(readOrientation(exifBlock("webp", webp)), 6);
  assert.equal(exifBlock("png", makePng(8, 8, gridPaint)), null);
});

/** A VP8X WebP header (no image data) with an optional EXIF chunk. */
function vp8x(width: number, height: number, exif?: Uint8Array): Uint8Array {
  const chunks: number[] = [];
  const push = (fourcc: string, body: number[]) => {
    chunks.push(...text(fourcc), ...le32(body.length), ...body);
    if (body.length & 1) chunks.push(0);
  };
  push("VP8X", [exif ? 0x08 : 0, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)]);
  if (exif) push("EXIF", [...exif]);
  return Uint8Array.from([...text("RIFF"), ...le32(4 + chunks.length), ...text("WEBP"), ...chunks]);
}

/** Inserts a chunk (CRC left zero: the decoder does not check it) right after IHDR. */
function withPngChunk(png: Uint8Array, type: string, body: Uint8Array): Uint8Array {
  const at = 8 + 25; // signature + IHDR chunk
  const chunk = [...be32(body.length), ...text(type), ...body, 0, 0, 0, 0];
  return Uint8Array.from([...png.subarray(0, at), ...chunk, ...png.subarray(at)]);
}

const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
const le32 = (n: number) => [...le24(n), (n >>> 24) & 0xff];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
