import assert from "node:assert/strict";
import type { ChatMessage, ImageInput } from "../../src/chat/messages.ts";
import type { EncoderInput, VisionEncoder } from "../../src/rkllm/npu.ts";
import { ImageTooLargeError, InvalidImageError } from "../../src/vision/errors.ts";
import { checkSendable, collectImages, embedImages, loadImages } from "../../src/vision/images.ts";
import { escapeImageTags, withImageTags } from "../../src/vision/image_tags.ts";
import { DEFAULT_VISION_SETTINGS, type VisionSettings } from "../../src/vision/settings.ts";
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

Deno.test("collectImages() lists images in prompt order; checkSendable() enforces the count limit", () => {
  const png = makePng(4, 4, gridPaint).toBase64();
  const messages: ChatMessage[] = [
    { role: "system", content: "s" },
    {
      role: "user",
      content: "a",
      images: [{ kind: "base64", data: png }, { kind: "url", url: `data:image/png;base64,${png}` }],
    },
    { role: "assistant", content: "b" },
    { role: "user", content: "c", images: [{ kind: "base64", data: png }] },
  ];
  const collected = collectImages(messages, DEFAULT_VISION_SETTINGS);
  assert.deepEqual(
    collected.map((i) => [i.param, i.message, i.problem]),
    [
      ["messages[1].images[0]", 1, null],
      ["messages[1].images[1]", 1, null],
      ["messages[3].images[0]", 3, null],
    ],
  );
  checkSendable(collected, { maxImagesPerRequest: 3 });
  assert.throws(() => checkSendable(collected, { maxImagesPerRequest: 2 }), (err) => {
    assert.ok(err instanceof ImageTooLargeError);
    assert.match(err.message, /3 images; the limit is 2 \(setting max_images_per_request\)/);
    return true;
  });
});

Deno.test("collectImages() digests the picture's bytes, however it was sent", () => {
  const a = makePng(4, 4, gridPaint);
  const b = makePng(4, 4, () => [9, 9, 9]);
  const digests = collectImages([{
    role: "user",
    content: "x",
    images: [
      { kind: "base64", data: a.toBase64() },
      { kind: "url", url: ` data:image/jpeg;base64,${a.toBase64()}` },
      { kind: "base64", data: `data:image/png;base64,${a.toBase64()}` },
      { kind: "base64", data: b.toBase64() },
    ],
  }], DEFAULT_VISION_SETTINGS).map((i) => i.digest);
  assert.equal(new Set(digests.slice(0, 3)).size, 1, "one picture, three spellings");
  assert.notEqual(digests[3], digests[0]);
  assert.match(digests[0], /^[0-9a-f]{64}$/);
});

Deno.test("collectImages() finds what is wrong without decoding; checkSendable() throws it", async (t) => {
  const jpeg = makeJpeg(16, 16, gridPaint);
  const rows: [string, ImageInput, Partial<VisionSettings>, string | null][] = [
    ["a good JPEG", { kind: "base64", data: jpeg.toBase64() }, {}, null],
    ["not base64", { kind: "base64", data: "@@@" }, {}, "invalid_image"],
    ["not an image", { kind: "base64", data: btoa("hello world") }, {}, "invalid_image"],
    [
      "a truncated JPEG",
      { kind: "base64", data: jpeg.subarray(0, jpeg.length - 40).toBase64() },
      {},
      "invalid_image",
    ],
    ["over max_image_bytes", { kind: "base64", data: jpeg.toBase64() }, {
      maxImageBytes: 100,
    }, "image_too_large"],
    ["over max_image_pixels", { kind: "base64", data: jpeg.toBase64() }, {
      maxImagePixels: 100,
    }, "image_too_large"],
    [
      "a remote URL, remote_images off",
      { kind: "url", url: "https://x.test/a.jpg" },
      {},
      "image_url_refused",
    ],
    ["a remote URL, remote_images on", { kind: "url", url: "https://x.test/a.jpg" }, {
      remoteImages: true,
    }, null],
    ["another scheme", { kind: "url", url: "file:///etc/passwd" }, {}, "invalid_image"],
  ];
  for (const [name, input, over, code] of rows) {
    await t.step(name, () => {
      const settings = { ...DEFAULT_VISION_SETTINGS, ...over };
      const [image] = collectImages([{ role: "user", content: "", images: [input] }], settings);
      assert.equal(image.problem?.code ?? null, code);
      if (code === null) checkSendable([image], settings);
      else {
        assert.throws(() => checkSendable([image], settings), (err) => {
          assert.equal(err, image.problem);
          assert.equal((err as InvalidImageError).param, "messages[0].images[0]");
          return true;
        });
      }
    });
  }
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
