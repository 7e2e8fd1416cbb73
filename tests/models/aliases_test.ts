import assert from "node:assert/strict";
import { buildAliases, resolveModelName } from "../../src/models/aliases.ts";

function sortedKeys(map: ReadonlyMap<string, string>): string[] {
  return [...map.keys()].sort();
}

Deno.test("buildAliases() derives prefixes, family and dot-truncation for a lone model", async (t) => {
  const rows: Array<[id: string, aliases: string[]]> = [
    ["qwen3-4b-instruct-2507", ["qwen", "qwen3", "qwen3-4b", "qwen3-4b-instruct"]],
    ["gemma-3-4b-it", ["gemma", "gemma-3", "gemma-3-4b"]],
    ["phi-3-mini-4k-instruct", ["phi", "phi-3", "phi-3-mini", "phi-3-mini-4k"]],
    ["qwen3-1.7b-4k", ["qwen", "qwen3", "qwen3-1.7b"]],
    [
      "qwen2.5-1.5b-instruct-4k",
      ["qwen", "qwen2", "qwen2.5", "qwen2.5-1.5b", "qwen2.5-1.5b-instruct"],
    ],
  ];
  for (const [id, aliases] of rows) {
    await t.step(`${id} → ${aliases.join(", ")}`, () => {
      const map = buildAliases([id]);
      assert.deepEqual(sortedKeys(map), [...aliases].sort());
      for (const target of map.values()) assert.equal(target, id);
    });
  }
});

Deno.test("buildAliases() drops candidates claimed by two models", async (t) => {
  const ids = [
    "qwen3-1.7b",
    "qwen3-4b-instruct-2507",
    "qwen2.5-1.5b-instruct",
    "qwen3-vl-2b",
    "gemma-3-4b-it",
    "phi-3-mini-4k-instruct",
    "deepseek-r1-distill-qwen-1.5b-4k",
    "internvl3.5-4b",
    "llama-3.2-3b-instruct",
  ];
  const map = buildAliases(ids);

  await t.step("keeps exactly the unambiguous aliases of A.5's collision example", () => {
    const expected: Record<string, string> = {
      "qwen3-4b": "qwen3-4b-instruct-2507",
      "qwen3-4b-instruct": "qwen3-4b-instruct-2507",
      "qwen3-vl": "qwen3-vl-2b",
      "qwen2": "qwen2.5-1.5b-instruct",
      "qwen2.5": "qwen2.5-1.5b-instruct",
      "qwen2.5-1.5b": "qwen2.5-1.5b-instruct",
      "gemma": "gemma-3-4b-it",
      "gemma-3": "gemma-3-4b-it",
      "gemma-3-4b": "gemma-3-4b-it",
      "phi": "phi-3-mini-4k-instruct",
      "phi-3": "phi-3-mini-4k-instruct",
      "phi-3-mini": "phi-3-mini-4k-instruct",
      "phi-3-mini-4k": "phi-3-mini-4k-instruct",
      "deepseek": "deepseek-r1-distill-qwen-1.5b-4k",
      "deepseek-r1": "deepseek-r1-distill-qwen-1.5b-4k",
      "deepseek-r1-distill": "deepseek-r1-distill-qwen-1.5b-4k",
      "deepseek-r1-distill-qwen": "deepseek-r1-distill-qwen-1.5b-4k",
      "deepseek-r1-distill-qwen-1.5b": "deepseek-r1-distill-qwen-1.5b-4k",
      "internvl": "internvl3.5-4b",
      "internvl3": "internvl3.5-4b",
      "internvl3.5": "internvl3.5-4b",
      "llama": "llama-3.2-3b-instruct",
      "llama-3.2": "llama-3.2-3b-instruct",
      "llama-3.2-3b": "llama-3.2-3b-instruct",
    };
    assert.deepEqual(Object.fromEntries([...map].sort()), expected);
    assert.equal(map.size, 24);
  });

  await t.step("has neither qwen (4 claimants) nor qwen3 (3 claimants)", () => {
    assert.equal(map.has("qwen"), false);
    assert.equal(map.has("qwen3"), false);
  });

  await t.step("gives qwen3-1.7b no alias at all", () => {
    assert.deepEqual([...map.values()].filter((id) => id === "qwen3-1.7b"), []);
  });
});

Deno.test("buildAliases() never uses a model id as an alias", () => {
  const map = buildAliases(["qwen3", "qwen3-4b"]);
  assert.equal(map.has("qwen3"), false);
  // `qwen` (family) is claimed by both models, so nothing is left.
  assert.deepEqual(Object.fromEntries(map), {});
  assert.deepEqual(Object.fromEntries(buildAliases(["phi", "phi-3"])), {});
});

Deno.test("buildAliases() counts one model once even if two rules give it the same alias", () => {
  // Family and dot-truncation both give `qwen` here.
  assert.deepEqual(Object.fromEntries(buildAliases(["qwen.5-x"])), {
    "qwen.5": "qwen.5-x",
    qwen: "qwen.5-x",
  });
});

Deno.test("buildAliases() orders the map by alias length, then alphabetically", () => {
  const map = buildAliases(["phi-3-mini", "gemma-3"]);
  assert.deepEqual([...map.keys()], ["phi", "gemma", "phi-3"]);
});

Deno.test("buildAliases() returns an empty map for no ids or ids without dashes", () => {
  assert.equal(buildAliases([]).size, 0);
  assert.equal(buildAliases(["phi", "gemma"]).size, 0);
});

Deno.test("resolveModelName() maps client names to canonical ids", async (t) => {
  const ids = ["qwen3-1.7b", "qwen3-4b-instruct-2507", "phi-3-mini-4k-instruct"];
  const aliases = buildAliases(ids);
  const rows: Array<[name: string, expected: string | undefined]> = [
    ["qwen3-1.7b", "qwen3-1.7b"],
    ["  QWEN3-1.7B \n", "qwen3-1.7b"],
    ["qwen3-4b", "qwen3-4b-instruct-2507"],
    ["Phi", "phi-3-mini-4k-instruct"],
    ["qwen3", undefined],
    ["qwen3_1.7b", undefined],
    ["llama", undefined],
    ["", undefined],
    ["   ", undefined],
  ];
  for (const [name, expected] of rows) {
    await t.step(`${JSON.stringify(name)} → ${expected}`, () => {
      assert.equal(resolveModelName(name, ids, aliases), expected);
    });
  }
});

Deno.test("resolveModelName() ignores an alias whose target is not among the ids", () => {
  const aliases = new Map([["old", "old-model"]]);
  assert.equal(resolveModelName("old", ["new-model"], aliases), undefined);
});
