import assert from "node:assert/strict";
import { contextLengthFromName } from "../../src/models/context_length.ts";

Deno.test("contextLengthFromName() reads the reference A.4 examples from one name", async (t) => {
  // A.4's full-path examples, split into the basename and folder the caller now tries in turn.
  const rows: Array<[name: string, expected: number | undefined]> = [
    ["Qwen3-1.7B-4K", 4096],
    ["Qwen3-1.7B-w8a8-rk3588.rkllm", undefined],
    ["Phi-3-mini-4k-instruct-w8a8.rkllm", 4096],
    ["model_16k.rkllm", 16384],
    ["model-128k-w8.rkllm", 131072],
    ["foo-32K.rkllm", 32768],
    ["foo_4kv.rkllm", 4096],
    ["a-8k", 8192],
    ["b.rkllm", undefined],
    ["qwen3-4b-instruct-2507-w8a8.rkllm", undefined],
  ];
  for (const [name, expected] of rows) {
    await t.step(`${name} → ${expected}`, () => {
      assert.equal(contextLengthFromName(name), expected);
    });
  }
});

Deno.test("contextLengthFromName() applies the substring rules before the pattern", async (t) => {
  const rows: Array<[name: string, expected: number | undefined, why: string]> = [
    ["x-4k-32k.rkllm", 32768, "32k is checked before 4k whatever the position"],
    ["x_2k.rkllm", 2048, "underscore prefix counts like a dash"],
    ["x-64k.rkllm", 65536, "pattern accepts a dot after k"],
    ["x-1k_y.rkllm", 1024, "pattern accepts an underscore after k"],
    ["x_128k-y", 131072, "pattern accepts an underscore before the digits"],
    ["x-64k", undefined, "pattern needs a separator after k (reference regex kept as is)"],
    ["x64k.rkllm", undefined, "pattern needs a separator before the digits"],
    ["x-0k-y", undefined, "zero is not a context length"],
    ["", undefined, "empty name"],
  ];
  for (const [name, expected, why] of rows) {
    await t.step(`${JSON.stringify(name)} → ${expected} (${why})`, () => {
      assert.equal(contextLengthFromName(name), expected);
    });
  }
});
