/**
 * EXIF orientation: reading tag 0x0112 from a TIFF block and turning a raster so it shows the way
 * the camera meant it (phones store portrait photos sideways with orientation 6 or 8).
 * Pure; imports only the raster type.
 */
import type { Raster } from "./raster.ts";

/** 1 = as stored; 2..8 = the EXIF mirror/rotate cases. */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const ORIENTATION_TAG = 0x0112;
const TYPE_SHORT = 3;

/** The orientation in a TIFF block (EXIF payload); 1 when absent or unreadable. */
export function readOrientation(tiff: Uint8Array | null): Orientation {
  if (tiff === null || tiff.length < 8) return 1;
  const order = String.fromCharCode(tiff[0], tiff[1]);
  if (order !== "II" && order !== "MM") return 1;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const little = order === "II";
  if (view.getUint16(2, little) !== 42) return 1;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    if (view.getUint16(entry, little) !== ORIENTATION_TAG) continue;
    if (view.getUint16(entry + 2, little) !== TYPE_SHORT) return 1;
    const value = view.getUint16(entry + 8, little);
    return value >= 1 && value <= 8 ? value as Orientation : 1;
  }
  return 1;
}

/**
 * The raster as displayed. For orientation o, a displayed pixel (x, y) comes from stored pixel
 * `source(x, y)`; 5..8 swap width and height.
 */
export function applyOrientation(r: Raster, o: Orientation): Raster {
  if (o === 1) return r;
  const swap = o >= 5;
  const width = swap ? r.height : r.width;
  const height = swap ? r.width : r.height;
  const out = new Uint8Array(r.data.length);
  const W = r.width - 1;
  const H = r.height - 1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sx: number, sy: number;
      switch (o) {
        case 2: // mirrored horizontally
          sx = W - x, sy = y;
          break;
        case 3: // rotated 180°
          sx = W - x, sy = H - y;
          break;
        case 4: // mirrored vertically
          sx = x, sy = H - y;
          break;
        case 5: // transposed
          sx = y, sy = x;
          break;
        case 6: // stored rotated 90° counter-clockwise: turn it clockwise
          sx = y, sy = H - x;
          break;
        case 7: // transversed
          sx = W - y, sy = H - x;
          break;
        default: // 8: stored rotated 90° clockwise: turn it counter-clockwise
          sx = W - y, sy = x;
      }
      const s = (sy * r.width + sx) * 3;
      const d = (y * width + x) * 3;
      out[d] = r.data[s];
      out[d + 1] = r.data[s + 1];
      out[d + 2] = r.data[s + 2];
    }
  }
  return { width, height, data: out };
}
