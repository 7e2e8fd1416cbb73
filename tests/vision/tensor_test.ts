import assert from "node:assert/strict";
import type { EncoderInput } from "../../src/rkllm/rknn/vision_encoder.ts";
import { tensorBytes, toTensor } from "../../src/vision/tensor.ts";
import type { Raster } from "../../src/vision/raster.ts";

// 2x1 picture: pixel 0 = (1,2,3), pixel 1 = (250,251,252).
const raster: Raster = { width: 2, height: 1, data: Uint8Array.from([1, 2, 3, 250, 251, 252]) };

const input = (layout: EncoderInput["layout"], type: EncoderInput["type"]): EncoderInput => ({
  width: 2,
  height: 1,
  channels: 3,
  layout,
  type,
});

Deno.test("toTensor() converts to the encoder's layout and element type", async (t) => {
  const rows: Array<[EncoderInput["layout"], EncoderInput["type"], number[]]> = [
    ["NHWC", "uint8", [1, 2, 3, 250, 251, 252]],
    ["NCHW", "uint8", [1, 250, 2, 251, 3, 252]],
    ["NHWC", "float32", [1, 2, 3, 250, 251, 252]],
    ["NCHW", "float32", [1, 250, 2, 251, 3, 252]],
    ["NHWC", "float16", [1, 2, 3, 250, 251, 252]],
    ["NCHW", "float16", [1, 250, 2, 251, 3, 252]],
  ];
  for (const [layout, type, values] of rows) {
    await t.step(`${layout} ${type}`, () => {
      const spec = input(layout, type);
      const bytes = toTensor(raster, spec);
      assert.equal(bytes.length, tensorBytes(spec));
      const read = type === "uint8"
        ? Array.from(bytes)
        : type === "float32"
        ? Array.from(new Float32Array(bytes.buffer))
        : Array.from(new Float16Array(bytes.buffer));
      assert.deepEqual(read, values);
    });
  }
});

Deno.test("toTensor() refuses a raster of another size", () => {
  assert.throws(() => toTensor(raster, { ...input("NHWC", "uint8"), width: 3 }), RangeError);
});
