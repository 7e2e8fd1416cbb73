import assert from "node:assert/strict";
import {
  DEFAULT_SAMPLING,
  samplingFamily,
  samplingFor,
  type SamplingParams,
} from "../../src/models/sampling.ts";

function params(
  topK: number,
  topP: number,
  temperature: number,
  repeatPenalty: number,
  frequencyPenalty: number,
  presencePenalty: number,
): SamplingParams {
  return { topK, topP, temperature, repeatPenalty, frequencyPenalty, presencePenalty };
}

Deno.test("samplingFor() picks the profile of the longest family in the id", async (t) => {
  const rows: Array<[id: string, family: string | undefined, expected: SamplingParams]> = [
    ["llama-3.2-3b-instruct", undefined, params(40, 0.9, 0.7, 1.1, 0, 0)],
    ["qwen3-1.7b", "qwen3", params(20, 0.8, 0.7, 1.1, 0, 1.5)],
    ["qwen3-vl-2b", "qwen3", params(20, 0.8, 0.7, 1.1, 0, 1.5)],
    ["gemma-3-4b-it", "gemma", params(40, 0.95, 0.7, 1.1, 0, 0)],
    ["phi-3-mini-4k-instruct", "phi", params(40, 0.9, 0.6, 1.1, 0, 0)],
    ["deepseek-r1-distill-qwen-1.5b", "deepseek", params(20, 0.9, 0.6, 1.1, 0, 1.0)],
    ["internvl3.5-4b", "internvl", params(20, 0.8, 0.7, 1.1, 0, 1.0)],
    ["qwen2.5-coder-1.5b-instruct", "qwen2.5-coder", params(20, 0.95, 0.2, 1.05, 0, 0)],
    ["qwen2.5-1.5b-instruct", "qwen2.5", params(40, 0.9, 0.7, 1.1, 0, 0)],
    ["qwen2-0.5b", undefined, params(40, 0.9, 0.7, 1.1, 0, 0)],
    ["Qwen3-4B", "qwen3", params(20, 0.8, 0.7, 1.1, 0, 1.5)],
  ];
  for (const [id, family, expected] of rows) {
    await t.step(`${id} → ${family ?? "defaults"}`, () => {
      assert.equal(samplingFamily(id), family);
      assert.deepEqual(samplingFor(id), expected);
    });
  }
});

Deno.test("samplingFor() breaks equal-length family ties by table order", () => {
  // `qwen3` and `gemma` are both five characters; qwen3 comes first in the table.
  assert.equal(samplingFamily("gemma-qwen3-merge"), "qwen3");
});

Deno.test("samplingFor() applies model_config overrides field by field", async (t) => {
  await t.step("each snake_case key overrides its camelCase field only", () => {
    assert.deepEqual(
      samplingFor("qwen3-1.7b", { temperature: 0.1, top_k: 1 }),
      params(1, 0.8, 0.1, 1.1, 0, 1.5),
    );
  });
  await t.step("all six keys", () => {
    assert.deepEqual(
      samplingFor("phi-3", {
        top_k: 5,
        top_p: 0.5,
        temperature: 1.2,
        repeat_penalty: 1.3,
        frequency_penalty: 0.4,
        presence_penalty: -0.5,
      }),
      params(5, 0.5, 1.2, 1.3, 0.4, -0.5),
    );
  });
  await t.step("zero is a real override, not a missing value", () => {
    assert.deepEqual(
      samplingFor("qwen3-1.7b", { presence_penalty: 0, temperature: 0 }),
      params(20, 0.8, 0, 1.1, 0, 0),
    );
  });
});

Deno.test("samplingFor() returns a copy that cannot change the defaults", () => {
  const got = samplingFor("unknown-model");
  got.topK = 1;
  assert.equal(DEFAULT_SAMPLING.topK, 40);
  assert.equal(Object.isFrozen(DEFAULT_SAMPLING), true);
});
