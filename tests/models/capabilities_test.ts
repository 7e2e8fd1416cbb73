import assert from "node:assert/strict";
import {
  detectCapabilities,
  supportsThinking,
  thinkPrefilled,
} from "../../src/models/capabilities.ts";

Deno.test("detectCapabilities() applies the first matching id rule", async (t) => {
  const rows: Array<[id: string, expected: string[]]> = [
    ["qwen3-1.7b", ["thinking", "instruct"]],
    ["qwen3-4b-thinking-2507", ["thinking", "instruct"]],
    // Unlike the reference: Qwen3 Instruct-2507 models have no thinking mode.
    ["qwen3-4b-instruct-2507", ["instruct"]],
    ["qwen3-30b-a3b-instruct-2507-w8a8", ["instruct"]],
    ["qwen3-vl-2b", ["instruct"]],
    ["deepseek-r1-distill-qwen-1.5b", ["thinking", "instruct"]],
    ["qwq-32b", ["thinking", "instruct"]],
    ["deepseekocr", ["instruct", "ocr"]],
    ["deepseek-ocr-3b", ["instruct", "ocr"]],
    ["internvl3.5-4b", ["instruct"]],
    ["minicpm-v-2.6", ["instruct"]],
    ["qwen2.5-vl-3b", ["instruct"]],
    ["qwen2.5-1.5b-instruct", ["instruct"]],
    ["qwen2-0.5b", ["instruct"]],
    ["phi-3-mini-4k-instruct", ["instruct"]],
    ["gemma-3-4b-it", ["instruct"]],
    ["llama-3.2-3b-instruct", ["instruct"]],
    ["mistral-7b", ["instruct"]],
    ["mixtral-8x7b", ["instruct"]],
    ["chatglm3-6b", ["instruct"]],
    ["yi-1.5-6b-chat", ["instruct"]],
    ["yiddish-7b", ["base"]],
    ["smollm2-1.7b-instruct", ["instruct"]],
    ["tinymodel-1b-it", ["instruct"]],
    ["tinymodel-it", ["instruct"]],
    ["tinymodel-italian", ["base"]],
    ["xlam-1b-fc-r", ["base"]],
    ["QWEN3-1.7B", ["thinking", "instruct"]],
  ];
  for (const [id, expected] of rows) {
    await t.step(`${id} → ${expected.join("+")}`, () => {
      assert.deepEqual(detectCapabilities(id), expected);
    });
  }
});

Deno.test("detectCapabilities() adds vl when the folder has a vision encoder", () => {
  assert.deepEqual(detectCapabilities("qwen3-vl-2b", { hasVisionEncoder: true }), [
    "instruct",
    "vl",
  ]);
  assert.deepEqual(detectCapabilities("mystery", { hasVisionEncoder: true }), ["base", "vl"]);
  assert.deepEqual(detectCapabilities("qwen3-vl-2b", { hasVisionEncoder: false }), ["instruct"]);
});

Deno.test("detectCapabilities() lets a model_config list replace detection", async (t) => {
  await t.step("override wins over the id and the vision encoder", () => {
    assert.deepEqual(
      detectCapabilities("qwen3-1.7b", { override: ["instruct"], hasVisionEncoder: true }),
      ["instruct"],
    );
  });
  await t.step("override is trimmed, lower-cased and de-duplicated in order", () => {
    assert.deepEqual(
      detectCapabilities("x", { override: [" Embedding ", "embedding", "", "VL"] }),
      ["embedding", "vl"],
    );
  });
  await t.step("an empty override means no capabilities", () => {
    assert.deepEqual(detectCapabilities("qwen3-1.7b", { override: [] }), []);
  });
});

Deno.test("detectCapabilities() returns a fresh array each call", () => {
  const first = detectCapabilities("qwen3-1.7b");
  first.push("mutated");
  assert.deepEqual(detectCapabilities("qwen3-1.7b"), ["thinking", "instruct"]);
});

Deno.test("supportsThinking() is true only with the thinking capability", () => {
  assert.equal(supportsThinking(["thinking", "instruct"]), true);
  assert.equal(supportsThinking(["instruct"]), false);
  assert.equal(supportsThinking([]), false);
});

Deno.test("thinkPrefilled() is true for ids containing thinking", async (t) => {
  const rows: Array<[id: string, expected: boolean]> = [
    ["qwen3-4b-thinking-2507", true],
    ["Qwen3-30B-A3B-Thinking-2507", true],
    ["qwen3-4b-instruct-2507", false],
    ["qwen3-1.7b", false],
    ["deepseek-r1-distill-qwen-1.5b", false],
  ];
  for (const [id, expected] of rows) {
    await t.step(`${id} → ${expected}`, () => assert.equal(thinkPrefilled(id), expected));
  }
});
