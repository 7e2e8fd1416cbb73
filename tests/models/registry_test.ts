import assert from "node:assert/strict";
import { type ModelEntry, ModelRegistry } from "../../src/models/registry.ts";
import { samplingFor } from "../../src/models/sampling.ts";

function entry(id: string, extra: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id,
    path: `/models/${id}/${id}.rkllm`,
    dir: `/models/${id}`,
    fileName: `${id}.rkllm`,
    sizeBytes: 1,
    contextLength: 4096,
    maxNewTokens: 2048,
    capabilities: ["instruct"],
    thinkPrefilled: false,
    sampling: samplingFor(id),
    disableTools: false,
    skipChat: false,
    ...extra,
  };
}

const IDS = ["qwen3-4b-instruct-2507", "qwen3-1.7b", "phi-3-mini-4k-instruct", "bge-embed"];

function registry(): ModelRegistry {
  return new ModelRegistry(IDS.map((id) => entry(id, { skipChat: id === "bge-embed" })));
}

Deno.test("ModelRegistry.list() keeps registry order and hides nothing", () => {
  const reg = registry();
  assert.deepEqual(reg.list().map((e) => e.id), IDS);
  assert.deepEqual(reg.ids(), IDS);
  assert.equal(reg.size, 4);
  assert.equal(reg.list().find((e) => e.id === "bge-embed")?.skipChat, true);
});

Deno.test("ModelRegistry returns copies its callers cannot use to change it", () => {
  const reg = registry();
  reg.list().pop();
  reg.ids().pop();
  reg.aliases().clear();
  assert.equal(reg.list().length, 4);
  assert.equal(reg.ids().length, 4);
  assert.equal(reg.aliases().size > 0, true);
});

Deno.test("ModelRegistry.get() matches exact canonical ids only", async (t) => {
  const reg = registry();
  await t.step("exact id", () => assert.equal(reg.get("qwen3-1.7b")?.id, "qwen3-1.7b"));
  await t.step("alias is not an id", () => assert.equal(reg.get("phi"), undefined));
  await t.step("case matters", () => assert.equal(reg.get("QWEN3-1.7B"), undefined));
});

Deno.test("ModelRegistry.resolve() accepts ids and aliases in any case", async (t) => {
  const reg = registry();
  const rows: Array<[name: string, expected: string | undefined]> = [
    ["qwen3-1.7b", "qwen3-1.7b"],
    [" Qwen3-1.7B ", "qwen3-1.7b"],
    ["qwen3-4b", "qwen3-4b-instruct-2507"],
    ["PHI-3", "phi-3-mini-4k-instruct"],
    ["bge", "bge-embed"],
    ["qwen3", undefined],
    ["nope", undefined],
    ["", undefined],
  ];
  for (const [name, expected] of rows) {
    await t.step(`${JSON.stringify(name)} → ${expected}`, () => {
      assert.equal(reg.resolve(name)?.id, expected);
    });
  }
});

Deno.test("ModelRegistry.aliasesOf() lists a model's aliases sorted", async (t) => {
  const reg = registry();
  await t.step("model with aliases", () => {
    assert.deepEqual(reg.aliasesOf("phi-3-mini-4k-instruct"), [
      "phi",
      "phi-3",
      "phi-3-mini",
      "phi-3-mini-4k",
    ]);
  });
  await t.step("model whose candidates are all ambiguous", () => {
    assert.deepEqual(reg.aliasesOf("qwen3-1.7b"), []);
  });
  await t.step("unknown id", () => assert.deepEqual(reg.aliasesOf("nope"), []));
});

Deno.test("ModelRegistry gives ids in order, and the aliases derived from them", () => {
  const reg = registry();
  assert.deepEqual([...reg.ids(), ...[...reg.aliases().keys()].sort()], [
    ...IDS,
    "bge",
    "phi",
    "phi-3",
    "phi-3-mini",
    "phi-3-mini-4k",
    "qwen3-4b",
    "qwen3-4b-instruct",
  ]);
});

Deno.test("ModelRegistry keeps the first entry when an id repeats", () => {
  const reg = new ModelRegistry([entry("a-1", { sizeBytes: 1 }), entry("a-1", { sizeBytes: 2 })]);
  assert.equal(reg.size, 1);
  assert.equal(reg.get("a-1")?.sizeBytes, 1);
});

Deno.test("ModelRegistry works empty", () => {
  const reg = new ModelRegistry([]);
  assert.deepEqual(reg.list(), []);
  assert.deepEqual([...reg.ids(), ...reg.aliases().keys()], []);
  assert.equal(reg.resolve("anything"), undefined);
});
