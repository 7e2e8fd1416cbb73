/**
 * An RGB raster at the encoder's input size → the bytes of the encoder's input tensor, in its
 * layout (NHWC interleaved or NCHW planar) and element type. Pixel values stay 0..255 in every
 * type: the runtime applies the model's own normalisation (mean/std set at conversion).
 * Pure; imports only types.
 */
import type { EncoderInput } from "../rkllm/npu.ts";
import type { Raster } from "./raster.ts";

const BYTES: Record<EncoderInput["type"], number> = { uint8: 1, float16: 2, float32: 4 };

export function tensorBytes(input: EncoderInput): number {
  return input.width * input.height * input.channels * BYTES[input.type];
}

export function toTensor(r: Raster, input: EncoderInput): Uint8Array<ArrayBuffer> {
  if (r.width !== input.width || r.height !== input.height || input.channels !== 3) {
    throw new RangeError(
      `raster ${r.width}x${r.height}x3 does not fit tensor ` +
        `${input.width}x${input.height}x${input.channels}`,
    );
  }
  const n = r.width * r.height;
  const values = input.layout === "NHWC" ? new Uint8Array(r.data) : planar(r.data, n);
  switch (input.type) {
    case "uint8":
      return values;
    case "float16":
      return new Uint8Array(Float16Array.from(values).buffer);
    case "float32":
      return new Uint8Array(Float32Array.from(values).buffer);
  }
}

/** RGBRGB… → RR…GG…BB… */
function planar(rgb: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i] = rgb[i * 3];
    out[n + i] = rgb[i * 3 + 1];
    out[2 * n + i] = rgb[i * 3 + 2];
  }
  return out;
}
