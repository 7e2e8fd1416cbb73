/**
 * Images from each client shape to file bytes: Open WebUI's request (the real fixture), the
 * OpenAI SDK's `image_url` forms, Ollama's `images` on /api/chat and /api/generate, and a remote
 * URL that is parsed but refused by default when loaded.
 */
import assert from "node:assert/strict";
import { toChatRequest } from "../../src/openai/chat_request.ts";
import { chatBodySchema, generateBodySchema } from "../../src/ollama/schema.ts";
import { chatToRequest, generateToRequest } from "../../src/ollama/wire.ts";
import type { ChatMessage } from "../../src/chat/messages.ts";
import { RemoteImageError } from "../../src/vision/errors.ts";
import { collectImages, loadImages } from "../../src/vision/images.ts";
import { decodeImage } from "../../src/vision/decode.ts";
import { DEFAULT_VISION_SETTINGS } from "../../src/vision/settings.ts";
import { HAS_FIXTURES, loadFixture } from "../support/fixtures.ts";
import { gridPaint, makeJpeg } from "../support/images.ts";
import { httpError } from "../../src/http/errors.ts";

const settings = DEFAULT_VISION_SETTINGS;

async function bytesOf(messages: ChatMessage[]): Promise<Uint8Array[]> {
  const loaded = await loadImages(collectImages(messages, settings), { settings });
  return loaded.map((l) => l.bytes);
}

const decode = (bytes: Uint8Array) =>
  decodeImage(bytes, { ...settings, minSide: 448, background: [127, 127, 127] });

Deno.test({
  name: "an Open WebUI image request keeps its text and yields the PNG it carries",
  ignore: !HAS_FIXTURES,
  fn: async () => {
    const { request, ignored } = toChatRequest(loadFixture("chat_image_parts.json"), "r1");
    assert.deepEqual(ignored, []);
    assert.equal(request.messages[0].content, "Describe this picture in one sentence.");
    const [png] = await bytesOf(request.messages);
    const r = decode(png);
    assert.deepEqual([r.width, r.height], [1, 1]);
  },
});

Deno.test("OpenAI image_url parts: object and string forms, several per message, in order", async () => {
  const jpeg = makeJpeg(48, 32, gridPaint);
  const url = `data:image/jpeg;base64,${jpeg.toBase64()}`;
  const { request } = toChatRequest({
    model: "m",
    messages: [
      { role: "user", content: [{ type: "image_url", image_url: { url, detail: "high" } }] },
      { role: "assistant", content: "A grid." },
      {
        role: "user",
        content: [
          { type: "text", text: "And these?" },
          { type: "image_url", image_url: url },
          { type: "image_url", image_url: { url } },
        ],
      },
    ],
  }, "r2");
  assert.deepEqual(request.messages.map((m) => m.images?.length ?? 0), [1, 0, 2]);
  const all = await bytesOf(request.messages);
  assert.equal(all.length, 3);
  for (const b of all) assert.deepEqual(b, jpeg);
  assert.equal(decode(all[0]).width, 48);
});

Deno.test("an image_url part without a url is a 400 on that message's content", () => {
  assert.throws(
    () =>
      toChatRequest({
        model: "m",
        messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }],
      }, "r"),
    (err: Error & { param: string }) =>
      httpError(err).status === 400 && err.param === "messages[0].content",
  );
});

Deno.test("Ollama images on /api/chat and /api/generate become message images", async () => {
  const jpeg = makeJpeg(48, 32, gridPaint);
  const chat = chatToRequest(
    chatBodySchema.parse({
      model: "m",
      messages: [{ role: "user", content: "What?", images: [jpeg.toBase64()] }],
    }),
    "r",
    "m",
  );
  const generate = generateToRequest(
    generateBodySchema.parse({ model: "m", prompt: "What?", images: [jpeg.toBase64()] }),
    "r",
    "m",
  );
  for (const { request, ignored } of [chat, generate]) {
    assert.deepEqual(ignored, []);
    const [bytes] = await bytesOf(request.messages);
    assert.deepEqual(bytes, jpeg);
  }
});

Deno.test("a remote image URL is parsed, then refused by default when loaded", async () => {
  const { request } = toChatRequest({
    model: "m",
    messages: [{
      role: "user",
      content: [{ type: "image_url", image_url: { url: "https://example.com/cat.jpg" } }],
    }],
  }, "r");
  assert.deepEqual(request.messages[0].images, [{
    kind: "url",
    url: "https://example.com/cat.jpg",
  }]);
  await assert.rejects(bytesOf(request.messages), (err) => {
    assert.ok(err instanceof RemoteImageError);
    assert.equal(httpError(err).status, 400);
    assert.equal(err.param, "messages[0].images[0]");
    assert.match(err.message, /remote_images is off/);
    return true;
  });
});
