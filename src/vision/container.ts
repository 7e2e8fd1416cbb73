/**
 * Reading image files without decoding them: which format the bytes are (by their signature,
 * never by the client's media type), the pixel size in the header (so a size limit holds before
 * any pixel is decoded), whether the file is complete, and where its EXIF block is.
 * Pure: every read is bounds-checked, so hostile bytes give null or false, never an exception.
 */

export type ImageFormat = "jpeg" | "png" | "webp";

export interface Size {
  width: number;
  height: number;
}

/** Formats recognised only to name them in the error message. */
const OTHER_SIGNATURES: ReadonlyArray<readonly [name: string, test: (b: Uint8Array) => boolean]> = [
  ["GIF", (b) => ascii(b, 0, 4) === "GIF8"],
  ["BMP", (b) => ascii(b, 0, 2) === "BM"],
  ["TIFF", (b) => ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*"],
  ["HEIC/AVIF", (b) => ascii(b, 4, 8) === "ftyp"],
  ["PDF", (b) => ascii(b, 0, 5) === "%PDF-"],
  ["SVG", (b) => /^\s*<(\?xml|svg)/.test(ascii(b, 0, 64))],
];

export type Sniffed = { format: ImageFormat } | { other: string } | null;

/** The format named by the first bytes; `{ other }` for a known unsupported one. */
export function sniffFormat(b: Uint8Array): Sniffed {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { format: "jpeg" };
  if (b.length >= 8 && ascii(b, 0, 8) === "\x89PNG\r\n\x1a\n") return { format: "png" };
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") {
    return { format: "webp" };
  }
  const other = OTHER_SIGNATURES.find(([, test]) => test(b));
  return other ? { other: other[0] } : null;
}

/** Pixel size from the header, or null when the header is missing or malformed. */
export function headerSize(format: ImageFormat, b: Uint8Array): Size | null {
  switch (format) {
    case "jpeg":
      return jpegScan(b).size;
    case "png":
      return ascii(b, 12, 16) === "IHDR" ? positive(u32be(b, 16), u32be(b, 20)) : null;
    case "webp":
      return webpSize(b);
  }
}

/**
 * True when the file holds its end: JPEG an EOI marker after the first scan, PNG an IEND
 * chunk, WebP the whole RIFF payload. Decoders fill a cut-off image with grey instead of
 * failing, so this is how a truncated upload is told apart from a picture.
 */
export function isComplete(format: ImageFormat, b: Uint8Array): boolean {
  switch (format) {
    case "jpeg": {
      const sos = jpegScan(b).scanStart;
      if (sos < 0) return false;
      // Entropy-coded data never holds FF D9 (an FF there is followed by 00 or a restart marker).
      for (let i = b.length - 2; i > sos; i--) {
        if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
      }
      return false;
    }
    case "png":
      return lastIndexOf(b, "IEND") > 8;
    case "webp":
      return b.length >= 8 && u32le(b, 4) + 8 <= b.length;
  }
}

/** The TIFF block of the EXIF metadata (starting at its "II"/"MM" header), or null. */
export function exifBlock(format: ImageFormat, b: Uint8Array): Uint8Array | null {
  switch (format) {
    case "jpeg":
      return jpegScan(b).exif;
    case "png": {
      for (let at = 8; at + 8 <= b.length;) {
        const length = u32be(b, at);
        if (ascii(b, at + 4, at + 8) === "eXIf") return slice(b, at + 8, length);
        if (ascii(b, at + 4, at + 8) === "IDAT") return null; // eXIf must come before the pixels
        at += 12 + length;
      }
      return null;
    }
    case "webp": {
      for (let at = 12; at + 8 <= b.length;) {
        const length = u32le(b, at + 4);
        if (ascii(b, at, at + 4) === "EXIF") {
          const block = slice(b, at + 8, length);
          // Some writers keep JPEG's "Exif\0\0" prefix inside the chunk.
          return block && ascii(block, 0, 6) === "Exif\0\0" ? block.subarray(6) : block;
        }
        at += 8 + length + (length & 1);
      }
      return null;
    }
  }
}

interface JpegScan {
  size: Size | null;
  exif: Uint8Array | null;
  /** Offset of the first SOS marker, -1 when none was reached. */
  scanStart: number;
}

/** Walks the JPEG marker segments up to the first scan. */
function jpegScan(b: Uint8Array): JpegScan {
  const out: JpegScan = { size: null, exif: null, scanStart: -1 };
  let at = 2;
  while (at + 4 <= b.length) {
    if (b[at] !== 0xff) return out;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xda) {
      out.scanStart = at;
      return out;
    }
    const length = u16be(b, at + 2);
    if (length < 2) return out;
    const body = at + 4;
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC): height, width after the precision.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      out.size ??= positive(u16be(b, body + 3), u16be(b, body + 1));
    } else if (marker === 0xe1 && out.exif === null && ascii(b, body, body + 6) === "Exif\0\0") {
      out.exif = slice(b, body + 6, length - 8);
    }
    at += 2 + length;
  }
  return out;
}

function webpSize(b: Uint8Array): Size | null {
  const chunk = ascii(b, 12, 16);
  const d = 20;
  if (chunk === "VP8 ") {
    // Key frame: 3-byte frame tag, start code 9D 01 2A, then 14-bit width and height.
    if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) return null;
    return positive(u16le(b, d + 6) & 0x3fff, u16le(b, d + 8) & 0x3fff);
  }
  if (chunk === "VP8L") {
    if (b[d] !== 0x2f || d + 5 > b.length) return null;
    const bits = u32le(b, d + 1);
    return positive((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
  }
  if (chunk === "VP8X") return positive(u24le(b, d + 4) + 1, u24le(b, d + 7) + 1);
  return null;
}

function positive(width: number, height: number): Size | null {
  return width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height)
    ? { width, height }
    : null;
}

function slice(b: Uint8Array, at: number, length: number): Uint8Array | null {
  return length > 0 && at + length <= b.length ? b.subarray(at, at + length) : null;
}

function ascii(b: Uint8Array, from: number, to: number): string {
  let s = "";
  for (let i = from; i < to && i < b.length; i++) s += String.fromCharCode(b[i]);
  return s;
}

function lastIndexOf(b: Uint8Array, text: string): number {
  outer: for (let i = b.length - text.length; i >= 0; i--) {
    for (let k = 0; k < text.length; k++) if (b[i + k] !== text.charCodeAt(k)) continue outer;
    return i;
  }
  return -1;
}

// Out-of-range reads give NaN, which every caller treats as "no value".
function byte(b: Uint8Array, at: number): number {
  return at >= 0 && at < b.length ? b[at] : NaN;
}
function u16be(b: Uint8Array, at: number): number {
  return byte(b, at) * 256 + byte(b, at + 1);
}
function u16le(b: Uint8Array, at: number): number {
  return byte(b, at) + byte(b, at + 1) * 256;
}
function u24le(b: Uint8Array, at: number): number {
  return u16le(b, at) + byte(b, at + 2) * 65536;
}
function u32be(b: Uint8Array, at: number): number {
  return u16be(b, at) * 65536 + u16be(b, at + 2);
}
function u32le(b: Uint8Array, at: number): number {
  return u16le(b, at) + u16le(b, at + 2) * 65536;
}
