/**
 * Vision models end to end, on both runtime ABIs, through a real server on the mock runtime and
 * the mock librknnrt.so: an Open WebUI image request, the openai SDK and the ollama client get
 * answers that depend on the image; a follow-up about it is incremental; bad, huge, truncated and
 * non-image data and images for a text model get a 400; the encoder is freed with its model.
 */
import assert from "node:assert/strict";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { ABI_VERSIONS } from "../../src/rkllm/versions.ts";
import { HAS_FIXTURES, loadFixture } from "../support/fixtures.ts";
import { corruptPng, makePng } from "../support/images.ts";
import { mockRknnLibrary, readMockLog } from "../support/mock.ts";
import { withServer } from "../support/server.ts";
import { join } from "node:path";

const VL = "qwen2-vl-2b-instruct";
const MODELS = {
  "Qwen2-VL-2B-Instruct": "qwen2-vl-llm_rk3588.rkllm",
  "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm",
};
const ENCODER = "Qwen2-VL-2B-Instruct/qwen2_vl_2b_vision_rk3588.rknn";

const red = makePng(32, 24, () => [220, 30, 30]);
const blue = makePng(32, 24, () => [30, 30, 220]);
const dataUrl = (png: Uint8Array): string => `data:image/png;base64,${png.toBase64()}`;

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] e2e: images reach a vision model from Open WebUI, openai and ollama`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "rknn-log-" });
    const rknnLog = join(dir, "rknn.jsonl");
    await withServer({
      abi,
      models: MODELS,
      files: { [ENCODER]: "mock encoder\n" },
      args: ["--rknn-lib", mockRknnLibrary(), "--max-image-bytes", "100000"],
      env: {
        RKLLM_MOCK_TOKENS: "8",
        RKLLM_MOCK_IMAGE_TEXT: "1",
        RKLLM_MOCK_IMAGE_CHECK: "strict",
        RKNN_MOCK_INPUT: "56x56x3",
        RKNN_MOCK_IMAGE_TOKENS: "16",
        RKNN_MOCK_LOG: rknnLog,
      },
    }, async (server) => {
      const openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: "unused" });
      const ask = async (png: Uint8Array, text = "What colour is this?") =>
        (await openai.chat.completions.create({
          model: VL,
          messages: [{
            role: "user",
            content: [{ type: "text", text }, {
              type: "image_url",
              image_url: { url: dataUrl(png) },
            }],
          }],
        })).choices[0].message.content ?? "";
      const starts = async () =>
        (await readMockLog(server.mockLog)).filter((l) => l.event === "run_start");

      // Open WebUI's own request shape (streamed, a 1-pixel PNG), sent to the vision model.
      if (HAS_FIXTURES) {
        const webui = { ...loadFixture("chat_image_parts.json") as object, model: VL };
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify(webui),
        });
        assert.equal(res.status, 200);
        assert.match(await res.text(), /data: \[DONE\]/);
        const mm = (await starts()).at(-1)!.multimodal as Record<string, unknown>;
        assert.deepEqual([mm.n_image, mm.n_image_tokens, mm.image_tags_match], [1, 16, true]);
        assert.equal(mm.image_start_used, "<|vision_start|>");
      }

      // The openai SDK: the answer depends on the picture.
      const aboutRed = await ask(red);
      const aboutBlue = await ask(blue);
      assert.notEqual(aboutRed, aboutBlue);
      assert.equal(await ask(red), aboutRed, "the same picture, the same answer");

      // A follow-up about the same picture is incremental: only the new text is prefilled.
      const clearsBefore = (await readMockLog(server.mockLog))
        .filter((l) => l.fn === "rkllm_clear_kv_cache").length;
      const followUp = await openai.chat.completions.create({
        model: VL,
        messages: [
          {
            role: "user",
            content: [{ type: "text", text: "What colour is this?" }, {
              type: "image_url",
              image_url: { url: dataUrl(red) },
            }],
          },
          { role: "assistant", content: aboutRed },
          { role: "user", content: "Is it warm?" },
        ],
      });
      assert.ok(followUp.choices[0].message.content);
      const last = (await starts()).at(-1)!;
      assert.equal(last.prompt, "Is it warm?");
      assert.equal(last.input_type_name, "prompt");
      const clearsAfter = (await readMockLog(server.mockLog))
        .filter((l) => l.fn === "rkllm_clear_kv_cache").length;
      assert.equal(clearsAfter, clearsBefore, "no reset");

      // ollama: chat and generate with base64 images.
      const ollama = new Ollama({ host: server.url });
      const chat = await ollama.chat({
        model: VL,
        messages: [{ role: "user", content: "What colour?", images: [blue.toBase64()] }],
      });
      assert.ok(chat.message.content);
      const generated = await ollama.generate({
        model: VL,
        prompt: "Describe it.",
        images: [red.toBase64()],
      });
      assert.ok(generated.response);
      const mm = (await starts()).at(-1)!.multimodal as Record<string, unknown>;
      assert.deepEqual([mm.n_image, mm.image_tags_match], [1, true]);

      // Bad input: a clear 400 each, and the server goes on.
      const refused: [string, string, unknown, RegExp][] = [
        ["a text model", "qwen3-1.7b", dataUrl(red), /does not accept images/],
        ["truncated", VL, dataUrl(red.subarray(0, red.length - 20)), /truncated/],
        ["not an image", VL, `data:image/png;base64,${btoa("hello, world")}`, /not an image/],
        [
          "huge",
          VL,
          dataUrl(makePng(400, 400, (x, y) => [x % 256, y % 256, (x * y) % 256])),
          /max_image_bytes/,
        ],
        ["remote", VL, "https://example.com/cat.png", /remote_images is off/],
        // Only decoding finds this one, under the lease, after the cache was prepared.
        ["corrupt", VL, dataUrl(corruptPng(red)), /could not be decoded/],
      ];
      for (const [name, model, url, message] of refused) {
        const r = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          body: JSON.stringify({
            model,
            messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }],
          }),
        });
        const body = await r.json();
        assert.equal(r.status, 400, name);
        assert.match(body.error.message, message, name);
      }
      assert.ok(await ask(red));

      // Unloading the model frees its encoder too; the next image loads both again.
      const contexts = async () => {
        const calls = await readMockLog(rknnLog);
        const count = (fn: string) => calls.filter((l) => l.fn === fn && l.ret === 0).length;
        return { inits: count("rknn_init"), destroys: count("rknn_destroy") };
      };
      await ollama.generate({ model: VL, prompt: "", keep_alive: 0 });
      assert.deepEqual(await contexts(), { inits: 1, destroys: 1 });
      assert.ok(await ask(blue));
      assert.deepEqual(await contexts(), { inits: 2, destroys: 1 });
    });
    // And the server's shutdown frees the loaded one.
    const calls = await readMockLog(rknnLog);
    assert.equal(calls.filter((l) => l.fn === "rknn_destroy" && l.ret === 0).length, 2);
    await Deno.remove(dir, { recursive: true });
  });
}
