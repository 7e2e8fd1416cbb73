/**
 * Vision input benchmark: decode + orient + pad + resize + tensor conversion of a generated
 * 12-megapixel photo-like picture (4000×3000) as JPEG, PNG and WebP, for a 448×448 encoder
 * (goal for the JPEG: ≤ 150 ms on the project machine), what planning a request costs per image
 * (base64, checks without decoding, SHA-256 digest: paid for every image of the history on
 * every request), then the cost of one encoder call through the librknnrt.so binding on the mock
 * (no NPU time: RKNN_MOCK_RUN_MS=0).
 *
 * Usage: deno task bench:vision [--runs=N]   (encoders for the test pictures come from npm)
 */
import { join } from "node:path";
import type { EncoderInput } from "../../src/rkllm/npu.ts";
import { RknnVisionBackend } from "../../src/rkllm/rknn/encoder.ts";
import { encodeMultimodalInput } from "../../src/rkllm/multimodal_input.ts";
import { runtimeVersion } from "../../src/rkllm/versions.ts";
import { collectImages, prepareTensor } from "../../src/vision/images.ts";
import { DEFAULT_VISION_SETTINGS } from "../../src/vision/settings.ts";
import { makeJpeg, makePng, makeWebp, type Paint } from "../support/images.ts";
import { ROOT } from "../support/mock.ts";

const runs = Number(Deno.args.find((a) => a.startsWith("--runs="))?.slice(7) ?? 7);
const W = 4000, H = 3000;
const INPUT: EncoderInput = { width: 448, height: 448, channels: 3, layout: "NHWC", type: "uint8" };
const OPTS = { settings: DEFAULT_VISION_SETTINGS, background: [128, 128, 128] as const };

/** Smooth gradients, a few shapes and mild sensor noise: compresses like a photo. */
let seed = 1;
const photo: Paint = (x, y) => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  const noise = (seed >>> 27) - 16;
  const disc = (x - 2600) ** 2 + (y - 1200) ** 2 < 700 ** 2 ? 90 : 0;
  return [
    clamp(60 + x * 150 / W + disc + noise),
    clamp(90 + y * 120 / H + noise),
    clamp(180 - (x + y) * 80 / (W + H) - disc + noise),
  ];
};
const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => void, n: number): number {
  fn(); // warm-up: compiles the wasm codec and JITs the resampler
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

console.log(`Generating a ${W}x${H} picture as JPEG, PNG and WebP…`);
const files: Array<[string, Uint8Array]> = [
  ["JPEG q90", makeJpeg(W, H, photo, { quality: 90 })],
  ["PNG", makePng(W, H, photo)],
  ["WebP q90", await makeWebp(W, H, photo)],
];

console.log(`\ndecode + orient + pad + resize to 448x448 + tensor (median of ${runs}):`);
const big = { ...OPTS, settings: { ...OPTS.settings, maxImageBytes: 1 << 30 } };
for (const [name, bytes] of files) {
  const ms = time(
    () => prepareTensor(bytes, { input: INPUT }, big),
    name === "JPEG q90" ? runs : 3,
  );
  const mb = (bytes.length / 1e6).toFixed(1);
  const goal = name === "JPEG q90" ? `  (goal ≤ 150 ms: ${ms <= 150 ? "met" : "MISSED"})` : "";
  console.log(`  ${name.padEnd(9)} ${mb.padStart(5)} MB  ${ms.toFixed(1).padStart(7)} ms${goal}`);
}

console.log(`\nplanning: base64 + checks + digest per image (median of ${runs}):`);
for (const [name, bytes] of files) {
  const messages = [{
    role: "user" as const,
    content: "What is it?",
    images: [{ kind: "url" as const, url: `data:image/*;base64,${bytes.toBase64()}` }],
  }];
  const ms = time(() => collectImages(messages, big.settings), runs);
  const mb = (bytes.length / 1e6).toFixed(1);
  console.log(`  ${name.padEnd(9)} ${mb.padStart(5)} MB  ${ms.toFixed(1).padStart(7)} ms`);
}

console.log("\nencoder call on the mock librknnrt.so (448x448x3 uint8 → 196 x 1536 floats):");
Deno.env.set("RKLLM_MOCK_EMBED_DIM", "1536");
const backend = RknnVisionBackend.open(join(ROOT, "build", "mock", "rknn", "librknnrt.so"));
const encoder = await backend.load(new TextEncoder().encode("bench encoder"));
const tensor = prepareTensor(files[0][1], encoder, big);
await encoder.encode(tensor);
const n = 200;
let t = performance.now();
for (let i = 0; i < n; i++) await encoder.encode(tensor);
const perCall = (performance.now() - t) / n;
console.log(
  `  inputs_set + run + outputs_get + copy + release: ${(perCall * 1000).toFixed(0)} µs/call`,
);
const embeddings = await encoder.encode(tensor);
t = performance.now();
for (let i = 0; i < n; i++) {
  encodeMultimodalInput(runtimeVersion("1.3.0"), {
    role: "user",
    enableThinking: false,
    prompt: "<image>\nWhat is in the picture?",
  }, {
    embeddings,
    count: 1,
    tokensPerImage: encoder.nTokens,
    width: 448,
    height: 448,
    tags: { start: "<|vision_start|>", end: "<|vision_end|>", content: "<|image_pad|>" },
  }, []);
}
console.log(
  `  RKLLMInput (multimodal) encoding: ${((performance.now() - t) / n * 1000).toFixed(0)} µs`,
);
await encoder.destroy();
backend.close();
