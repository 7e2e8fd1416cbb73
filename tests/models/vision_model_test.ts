import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { scanModels } from "../../src/models/discovery.ts";
import { parseModelConfig } from "../../src/models/model_config.ts";
import { resolveVisionModel, visionFamily } from "../../src/models/vision_model.ts";

async function withTree(files: Record<string, string>, fn: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir({ prefix: "rkllm-vision-models-" });
  try {
    for (const [rel, content] of Object.entries(files)) {
      await Deno.mkdir(dirname(join(root, rel)), { recursive: true });
      await Deno.writeTextFile(join(root, rel), content);
    }
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("visionFamily() knows the markers of each supported family", async (t) => {
  const rows: Array<[string, string | undefined, string, string, string]> = [
    ["qwen2.5-vl-3b-instruct", "qwen2.5-vl", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>"],
    ["qwen2-vl-2b", "qwen2-vl", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>"],
    ["qwen3-vl-4b-instruct", "qwen3-vl", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>"],
    ["minicpm-v-2_6", "minicpm-v", "<image>", "</image>", "<unk>"],
    ["internvl3.5-2b", "internvl", "<img>", "</img>", "<IMG_CONTEXT>"],
  ];
  for (const [id, family, start, end, content] of rows) {
    await t.step(id, () => {
      assert.deepEqual(visionFamily(id), {
        family,
        imageStart: start,
        imageEnd: end,
        imageContent: content,
      });
    });
  }
  assert.equal(visionFamily("qwen3-1.7b"), undefined);
});

Deno.test("resolveVisionModel() applies model_config.json overrides over the family", () => {
  const parsed = parseModelConfig(JSON.stringify({
    vision: {
      image_tokens: 256,
      image_size: [448, 336],
      image_start: "<s>",
      image_end: "</s>",
      image_content: "<p>",
      background: [0, 0, 0],
    },
  }));
  assert.equal(parsed.error, undefined);
  assert.deepEqual(resolveVisionModel("qwen2.5-vl-3b", "/m/v.rknn", parsed.config?.vision), {
    encoderPath: "/m/v.rknn",
    family: "qwen2.5-vl",
    imageStart: "<s>",
    imageEnd: "</s>",
    imageContent: "<p>",
    background: [0, 0, 0],
    imageTokens: 256,
    imageSize: { width: 448, height: 336 },
  });
  assert.deepEqual(resolveVisionModel("my-vlm", "/m/v.rknn", { image_size: 392 }), {
    encoderPath: "/m/v.rknn",
    family: "unknown",
    imageStart: "<|vision_start|>",
    imageEnd: "<|vision_end|>",
    imageContent: "<|image_pad|>",
    background: [128, 128, 128],
    imageSize: { width: 392, height: 392 },
  });
});

Deno.test("parseModelConfig() rejects a malformed vision block", async (t) => {
  const rows: Array<[string, unknown, RegExp]> = [
    ["negative tokens", { image_tokens: -1 }, /vision\.image_tokens/],
    ["background out of range", { background: [0, 0, 300] }, /vision\.background/],
    ["empty content marker", { image_content: "" }, /vision\.image_content/],
    ["size of three numbers", { image_size: [1, 2, 3] }, /vision\.image_size/],
  ];
  for (const [name, vision, message] of rows) {
    await t.step(
      name,
      () => assert.match(parseModelConfig(JSON.stringify({ vision })).error ?? "", message),
    );
  }
});

Deno.test("scanModels() makes a folder with .rkllm + .rknn a vision model with its encoder path", async () => {
  const files = {
    "Qwen2.5-VL-3B/qwen2.5-vl-3b-instruct_w8a8_rk3588.rkllm": "llm",
    "Qwen2.5-VL-3B/qwen2.5-vl-3b_vision_rk3588.rknn": "enc",
    "Qwen3-1.7B/qwen3.rkllm": "llm",
    "loose.rkllm": "llm",
    "loose_vision.rknn": "enc",
  };
  await withTree(files, async (root) => {
    const { models, warnings } = await scanModels(root);
    assert.deepEqual(warnings, []);
    const vl = models.find((m) => m.id === "qwen2.5-vl-3b");
    assert.deepEqual(vl?.capabilities, ["instruct", "vl"]);
    assert.equal(
      vl?.vision?.encoderPath,
      join(root, "Qwen2.5-VL-3B", "qwen2.5-vl-3b_vision_rk3588.rknn"),
    );
    assert.equal(vl?.vision?.imageContent, "<|image_pad|>");
    // Root-level files share the folder: an .rknn there belongs to no model.
    assert.equal(models.find((m) => m.id === "loose")?.vision, undefined);
    assert.equal(models.find((m) => m.id === "qwen3-1.7b")?.vision, undefined);
  });
});

Deno.test("scanModels() picks the configured encoder among several, and warns otherwise", async (t) => {
  const files = {
    "MiniCPM-V-2_6/llm.rkllm": "llm",
    "MiniCPM-V-2_6/a.rknn": "enc",
    "MiniCPM-V-2_6/b.rknn": "enc",
  };
  await t.step(
    "no choice: the first by name, with a warning",
    () =>
      withTree(files, async (root) => {
        const { models, warnings } = await scanModels(root);
        assert.equal(models[0].vision?.encoderPath, join(root, "MiniCPM-V-2_6", "a.rknn"));
        assert.equal(models[0].vision?.imageStart, "<image>");
        assert.ok(
          warnings.some((w) => w.includes("2 .rknn files") && w.includes("vision.encoder")),
        );
      }),
  );
  await t.step(
    "vision.encoder picks one",
    () =>
      withTree(
        { ...files, "MiniCPM-V-2_6/model_config.json": '{"vision":{"encoder":"b.rknn"}}' },
        async (root) => {
          const { models, warnings } = await scanModels(root);
          assert.equal(models[0].vision?.encoderPath, join(root, "MiniCPM-V-2_6", "b.rknn"));
          assert.deepEqual(warnings, []);
        },
      ),
  );
  await t.step(
    "a missing vision.encoder makes it text-only, with a warning",
    () =>
      withTree(
        { ...files, "MiniCPM-V-2_6/model_config.json": '{"vision":{"encoder":"c.rknn"}}' },
        async (root) => {
          const { models, warnings } = await scanModels(root);
          assert.equal(models[0].vision, undefined);
          assert.deepEqual(models[0].capabilities, ["instruct"]);
          assert.ok(warnings.some((w) => w.includes("'c.rknn' is not in the folder")));
          assert.equal(models[0].configWarnings?.length, 1);
        },
      ),
  );
});
