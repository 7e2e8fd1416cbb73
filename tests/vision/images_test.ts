import assert from "node:assert/strict";
import type { ChatMessage } from "../../src/chat/messages.ts";
import type { EncoderInput, VisionEncoder } from "../../src/rkllm/rknn/vision_encoder.ts";
import { ImageTooLargeError, InvalidImageError } from "../../src/vision/errors.ts";
import {
  collectImages,
  embedImages,
  escapeImageTags,
  loadImages,
  withImageTags,
} from "../../src/vision/images.ts";
import { DEFAULT_VISION_SETTINGS } from "../../src/vision/settings.ts";
import { gridPaint, makeJpeg, makePng } from "../support/images.ts";

/** Embeds each image as rows filled with the mean of its tensor bytes (so images differ). */
function fakeEncoder(
  input: EncoderInput,
  nTokens = 3,
  embedDim = 2,
): VisionEncoder & { seen: number[] } {
  const seen: number[] = [];
  return {
    input,
    nTokens,
    embedDim,
    floatsPerImage: nTokens * embedDim,
    seen,
    encode(tensor) {
      seen.push(tensor.length);
      const mean = tensor.reduce((a, b) => a + b, 0) / tensor.length;
      return Promise.resolve(new Float32Array(nTokens * embedDim).fill(mean));
    },
    destroy: () => Promise.resolve(),
  };
}

const INPUT: EncoderInput = { width: 8, height: 8, channels: 3, layout: "NHWC", type: "uint8" };
const EMBED = { settings: DEFAULT_VISION_SETTINGS, background: [127, 127, 127] as const };

Deno.test("collectImages() lists images in prompt order and enforces the count limit", () => {
  const messages: ChatMessage[] = [
    { role: "system", content: "s" },
    {
      role: "user",
      content: "a",
      images: [{ kind: "base64", data: "A" }, { kind: "url", url: "u" }],
    },
    { role: "assistant", content: "b" },
    { role: "user", content: "c", images: [{ kind: "base64", data: "C" }] },
  ];
  assert.deepEqual(
    collectImages(messages, { maxImagesPerRequest: 3 }).map((i) => [i.param, i.message]),
    [
      ["messages[1].images[0]", 1],
      ["messages[1].images[1]", 1],
      ["messages[3].images[0]", 3],
    ],
  );
  assert.throws(() => collectImages(messages, { maxImagesPerRequest: 2 }), (err) => {
    assert.ok(err instanceof ImageTooLargeError);
    assert.match(err.message, /3 images; the limit is 2 \(setting max_images_per_request\)/);
    return true;
  });
});

Deno.test("embedImages() encodes each image in order and concatenates the embeddings", async () => {
  const black = makePng(8, 8, () => [0, 0, 0]);
  const white = makePng(8, 8, () => [255, 255, 255]);
  const loaded = await loadImages(
    collectImages([{
      role: "user",
      content: "x",
      images: [
        { kind: "base64", data: black.toBase64() },
        { kind: "url", url: `data:image/png;base64,${white.toBase64()}` },
      ],
    }], DEFAULT_VISION_SETTINGS),
    { settings: DEFAULT_VISION_SETTINGS },
  );
  const encoder = fakeEncoder(INPUT);
  const out = await embedImages(loaded, encoder, EMBED);
  assert.deepEqual(encoder.seen, [8 * 8 * 3, 8 * 8 * 3]);
  assert.deepEqual(
    {
      nImages: out.nImages,
      nImageTokens: out.nImageTokens,
      embedDim: out.embedDim,
      w: out.width,
      h: out.height,
    },
    { nImages: 2, nImageTokens: 3, embedDim: 2, w: 8, h: 8 },
  );
  assert.deepEqual(Array.from(out.embeddings), [0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255]);
});

Deno.test("embedImages() feeds the encoder its own layout and type", async () => {
  const encoder = fakeEncoder({
    width: 6,
    height: 4,
    channels: 3,
    layout: "NCHW",
    type: "float32",
  });
  await embedImages([{ bytes: makeJpeg(48, 32, gridPaint), param: "p" }], encoder, EMBED);
  assert.deepEqual(encoder.seen, [6 * 4 * 3 * 4]);
});

Deno.test("embedImages() reports which image is broken", async () => {
  const good = { bytes: makePng(8, 8, gridPaint), param: "messages[0].images[0]" };
  const bad = { bytes: new TextEncoder().encode("nope"), param: "messages[2].images[1]" };
  await assert.rejects(embedImages([good, bad], fakeEncoder(INPUT), EMBED), (err) => {
    assert.ok(err instanceof InvalidImageError);
    assert.equal(err.param, "messages[2].images[1]");
    return true;
  });
});

Deno.test("withImageTags() puts one tag per image first and defuses typed tags", async (t) => {
  const rows: Array<[string, number, string]> = [
    ["What is this?", 1, "<image>\nWhat is this?"],
    ["Compare", 2, "<image><image>\nCompare"],
    ["no images", 0, "no images"],
    ["a literal <image> tag", 1, "<image>\na literal < image> tag"],
  ];
  for (const [text, n, expected] of rows) {
    await t.step(`${n} × ${text}`, () => assert.equal(withImageTags(text, n), expected));
  }
  assert.equal(escapeImageTags("<image><image>"), "< image>< image>");
});
