/**
 * JPEG → RGB with libjpeg-turbo (npm `@cwasm/jpeg-turbo`, its TurboJPEG API in wasm).
 *
 * The decoder scales in the DCT domain: asked for an output size that is k/8 of the picture, it
 * computes only that many coefficients, so a 12-megapixel photo meant for a 448-pixel encoder
 * is decoded at 1/8 (500×375) in a fraction of a full decode. Throws plain errors; the caller
 * (decode.ts) turns them into typed ones.
 */
import turboWasm from "@cwasm/jpeg-turbo/jpeg-turbo.wasm" with { type: "bytes" };
import type { Size } from "./container.ts";
import type { Raster } from "./raster.ts";
import { type CodecExports, failingStubs, WasmCodec } from "./wasm_codec.ts";

interface TurboExports extends CodecExports {
  tjInitDecompress(): number;
  tjDestroy(handle: number): number;
  tjDecompressHeader3(
    handle: number,
    src: number,
    size: number,
    width: number,
    height: number,
    subsamp: number,
    colorspace: number,
  ): number;
  tjDecompress2(
    handle: number,
    src: number,
    size: number,
    dst: number,
    width: number,
    pitch: number,
    height: number,
    pixelFormat: number,
    flags: number,
  ): number;
}

const TJPF_RGB = 0;
const MAX_CODEC_MEMORY = 64 << 20;

const codec = new WasmCodec<TurboExports>(turboWasm, {
  // setjmp returns 0 once; a later longjmp (libjpeg's fatal-error exit) becomes an exception.
  env: {
    setjmp: () => 0,
    longjmp: () => {
      throw new Error("libjpeg fatal error");
    },
  },
  wasi_snapshot_preview1: {
    environ_sizes_get: () => 0,
    ...failingStubs(["environ_get", "proc_exit", "fd_close", "fd_seek", "fd_write"]),
  },
}, MAX_CODEC_MEMORY);

/** The smallest k/8 scale whose longer side still reaches `minSide` (k = 1..8). */
export function jpegScale(size: Size, minSide: number): Size {
  const longer = Math.max(size.width, size.height);
  let k = 1;
  while (k < 8 && Math.ceil(longer * k / 8) < minSide) k++;
  return { width: Math.ceil(size.width * k / 8), height: Math.ceil(size.height * k / 8) };
}

/**
 * Decodes at the smallest DCT scale whose longer side is at least `minSide` (the encoder's input
 * side), never larger than the picture. On an exception the codec instance is dropped whole
 * (see wasm_codec.ts), so nothing allocated inside it outlives the call.
 */
export function decodeJpeg(bytes: Uint8Array, minSide: number): Raster {
  return codec.run((tj) => {
    const src = WasmCodec.copyIn(tj, bytes);
    const handle = tj.tjInitDecompress();
    const header = tj.malloc(16);
    if (handle === 0 || header === 0) throw new Error("codec out of memory");
    if (
      tj.tjDecompressHeader3(
        handle,
        src,
        bytes.length,
        header,
        header + 4,
        header + 8,
        header + 12,
      ) !== 0
    ) {
      throw new Error("no JPEG header");
    }
    const [width, height] = new Uint32Array(tj.memory.buffer, header, 2);
    const out = jpegScale({ width, height }, minSide);
    const dst = tj.malloc(out.width * out.height * 3);
    if (dst === 0) throw new Error("codec out of memory");
    // A return of -1 without an exception is a libjpeg warning (e.g. corrupt entropy data): the
    // image is still produced. Truncation is caught before decoding (container.isComplete).
    tj.tjDecompress2(handle, src, bytes.length, dst, out.width, 0, out.height, TJPF_RGB, 0);
    const data = new Uint8Array(tj.memory.buffer, dst, out.width * out.height * 3).slice();
    tj.free(dst);
    tj.free(header);
    tj.tjDestroy(handle);
    tj.free(src);
    return { width: out.width, height: out.height, data };
  });
}
