/**
 * Test and bench images made on the fly (no binary fixtures): JPEG with jpeg-js (optionally with
 * an EXIF orientation block), PNG with fast-png, WebP with @jsquash/webp. Pictures are drawn
 * from a per-pixel colour function.
 */
import jpeg from "jpeg-js";
import { encode as encodePng } from "fast-png";
import encodeWebpRgba from "@jsquash/webp/encode.js";

export type Paint = (x: number, y: number) => readonly [number, number, number];

export function rgba(width: number, height: number, paint: Paint): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = paint(x, y);
      const o = (y * width + x) * 4;
      out[o] = r, out[o + 1] = g, out[o + 2] = b, out[o + 3] = 255;
    }
  }
  return out;
}

export function makeJpeg(
  width: number,
  height: number,
  paint: Paint,
  opts: { quality?: number; orientation?: number } = {},
): Uint8Array<ArrayBuffer> {
  const encoded =
    jpeg.encode({ data: rgba(width, height, paint), width, height }, opts.quality ?? 95)
      .data;
  const bytes = new Uint8Array(encoded);
  return opts.orientation === undefined ? bytes : withExifOrientation(bytes, opts.orientation);
}

/** Inserts an APP1 EXIF segment (big-endian TIFF, one IFD entry: Orientation) after SOI. */
export function withExifOrientation(
  jpegBytes: Uint8Array,
  orientation: number,
): Uint8Array<ArrayBuffer> {
  const tiff = [
    0x4d,
    0x4d,
    0x00,
    0x2a,
    0x00,
    0x00,
    0x00,
    0x08, // "MM", 42, IFD at 8
    0x00,
    0x01, // one entry
    0x01,
    0x12,
    0x00,
    0x03,
    0x00,
    0x00,
    0x00,
    0x01, // tag 0x0112, SHORT, count 1
    0x00,
    orientation,
    0x00,
    0x00, // value
    0x00,
    0x00,
    0x00,
    0x00, // no next IFD
  ];
  const payload = [...new TextEncoder().encode("Exif\0\0"), ...tiff];
  const length = payload.length + 2;
  const segment = [0xff, 0xe1, length >> 8, length & 0xff, ...payload];
  const out = new Uint8Array(jpegBytes.length + segment.length);
  out.set(jpegBytes.subarray(0, 2));
  out.set(segment, 2);
  out.set(jpegBytes.subarray(2), 2 + segment.length);
  return out;
}

export function makePng(
  width: number,
  height: number,
  paint: Paint,
  opts: { alpha?: number } = {},
): Uint8Array<ArrayBuffer> {
  const data = rgba(width, height, paint);
  if (opts.alpha !== undefined) { for (let i = 3; i < data.length; i += 4) data[i] = opts.alpha; }
  return new Uint8Array(encodePng({ width, height, data, channels: 4, depth: 8 }));
}

export async function makeWebp(
  width: number,
  height: number,
  paint: Paint,
  opts: { lossless?: boolean } = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const data = new Uint8ClampedArray(rgba(width, height, paint));
  const image = { data, width, height, colorSpace: "srgb" } as ImageData;
  const out = await encodeWebpRgba(image, {
    quality: 90,
    method: 0,
    lossless: opts.lossless ? 1 : 0,
  });
  return new Uint8Array(out);
}

/** A 3×2 grid of solid 16-pixel blocks, each a different colour: tells every flip and turn apart. */
export const GRID_COLOURS: ReadonlyArray<readonly [number, number, number]> = [
  [220, 30, 30], // row 0: red, green, blue
  [30, 200, 30],
  [30, 30, 220],
  [230, 230, 40], // row 1: yellow, magenta, cyan
  [220, 40, 220],
  [40, 220, 220],
];

export const gridPaint: Paint = (x, y) => GRID_COLOURS[Math.floor(y / 16) * 3 + Math.floor(x / 16)];

/** A PNG whose header and end are intact but whose compressed pixels are not. */
export function corruptPng(png: Uint8Array): Uint8Array {
  const out = new Uint8Array(png);
  const idat = out.findIndex((_, i) => String.fromCharCode(...out.subarray(i, i + 4)) === "IDAT");
  out.fill(0xff, idat + 4, idat + 24);
  return out;
}
