/**
 * WebP (lossy, lossless, with alpha) → RGB with libwebp (npm `@cwasm/webp`, `WebPDecodeRGBA` in
 * wasm). Transparent pixels are composited over the encoder's background colour. Throws plain
 * errors; the caller (decode.ts) turns them into typed ones.
 */
import webpWasm from "@cwasm/webp/webp.wasm" with { type: "bytes" };
import { type Raster, type Rgb, rgbaToRgb } from "./raster.ts";
import { type CodecExports, failingStubs, WasmCodec } from "./wasm_codec.ts";

interface WebpExports extends CodecExports {
  WebPDecodeRGBA(data: number, size: number, width: number, height: number): number;
}

/** A 12-megapixel RGBA output needs ~48 MiB; keep one such instance, drop anything larger. */
const MAX_CODEC_MEMORY = 96 << 20;

const codec = new WasmCodec<WebpExports>(webpWasm, {
  wasi_snapshot_preview1: failingStubs(["fd_close", "fd_seek", "fd_write"]),
}, MAX_CODEC_MEMORY);

export function decodeWebp(bytes: Uint8Array, background: Rgb): Raster {
  return codec.run((webp) => {
    const src = WasmCodec.copyIn(webp, bytes);
    const size = webp.malloc(8);
    if (size === 0) throw new Error("codec out of memory");
    const rgba = webp.WebPDecodeRGBA(src, bytes.length, size, size + 4);
    webp.free(src);
    if (rgba === 0) throw new Error("libwebp could not decode the data");
    const [width, height] = new Uint32Array(webp.memory.buffer, size, 2);
    webp.free(size);
    const pixels = new Uint8Array(webp.memory.buffer, rgba, width * height * 4);
    const raster = rgbaToRgb(pixels, width, height, background);
    webp.free(rgba);
    return raster;
  });
}
