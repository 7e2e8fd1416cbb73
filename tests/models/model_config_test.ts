import assert from "node:assert/strict";
import { parseModelConfig } from "../../src/models/model_config.ts";

Deno.test("parseModelConfig() accepts a full file", () => {
  const text = JSON.stringify({
    context_length: 8192,
    capabilities: ["instruct", "embedding"],
    sampling: {
      top_k: 20,
      top_p: 0.8,
      temperature: 0.7,
      repeat_penalty: 1.1,
      frequency_penalty: 0,
      presence_penalty: 1.5,
    },
    max_new_tokens: 1024,
    disable_tools: true,
    skip_chat: false,
    think_prefilled: true,
  });
  assert.deepEqual(parseModelConfig(text), {
    config: {
      context_length: 8192,
      capabilities: ["instruct", "embedding"],
      sampling: {
        top_k: 20,
        top_p: 0.8,
        temperature: 0.7,
        repeat_penalty: 1.1,
        frequency_penalty: 0,
        presence_penalty: 1.5,
      },
      max_new_tokens: 1024,
      disable_tools: true,
      skip_chat: false,
      think_prefilled: true,
    },
  });
});

Deno.test("parseModelConfig() accepts an empty object and drops unknown keys", async (t) => {
  await t.step("empty object", () => {
    assert.deepEqual(parseModelConfig("{}"), { config: {} });
  });
  await t.step("unknown keys at both levels", () => {
    assert.deepEqual(
      parseModelConfig('{"note":"x","context_length":2048,"sampling":{"mirostat":1,"top_k":3}}'),
      { config: { context_length: 2048, sampling: { top_k: 3 } } },
    );
  });
});

Deno.test("parseModelConfig() reports one readable line when the file is wrong", async (t) => {
  const rows: Array<[label: string, text: string, mustContain: string[]]> = [
    ["invalid JSON", '{"context_length": 4096,', ["invalid JSON:"]],
    ["empty file", "", ["invalid JSON:"]],
    ["top-level array", "[1,2]", ["(top level)"]],
    ["top-level null", "null", ["(top level)"]],
    ["zero context", '{"context_length": 0}', ["context_length"]],
    ["fractional context", '{"context_length": 4096.5}', ["context_length"]],
    ["string context", '{"context_length": "4096"}', ["context_length"]],
    ["negative max_new_tokens", '{"max_new_tokens": -1}', ["max_new_tokens"]],
    ["capabilities not a list", '{"capabilities": "instruct"}', ["capabilities"]],
    ["capability not a string", '{"capabilities": ["instruct", 3]}', ["capabilities.1"]],
    ["top_p above 1", '{"sampling": {"top_p": 1.5}}', ["sampling.top_p"]],
    ["temperature above 2", '{"sampling": {"temperature": 9}}', ["sampling.temperature"]],
    ["negative top_k", '{"sampling": {"top_k": -1}}', ["sampling.top_k"]],
    ["zero repeat_penalty", '{"sampling": {"repeat_penalty": 0}}', ["sampling.repeat_penalty"]],
    ["penalty below -2", '{"sampling": {"presence_penalty": -3}}', ["sampling.presence_penalty"]],
    ["sampling not an object", '{"sampling": 1}', ["sampling"]],
    ["bool as string", '{"skip_chat": "yes"}', ["skip_chat"]],
    [
      "several problems joined",
      '{"context_length": -1, "disable_tools": 1, "think_prefilled": null}',
      ["context_length", "disable_tools", "think_prefilled", "; "],
    ],
  ];
  for (const [label, text, mustContain] of rows) {
    await t.step(label, () => {
      const result = parseModelConfig(text);
      assert.equal(result.config, undefined);
      assert.equal(typeof result.error, "string");
      const error = result.error ?? "";
      assert.equal(error.includes("\n"), false, `multi-line error: ${error}`);
      for (const part of mustContain) {
        assert.ok(error.includes(part), `${JSON.stringify(error)} lacks ${JSON.stringify(part)}`);
      }
    });
  }
});
