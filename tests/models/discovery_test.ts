import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { modelIdFromName, scanModels } from "../../src/models/discovery.ts";
import { samplingFor } from "../../src/models/sampling.ts";

/** Create `files` (relative path → content) under a fresh temp dir, run `fn`, always clean up. */
async function withTree(
  files: Record<string, string>,
  fn: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "rkllm-models-" });
  try {
    for (const [rel, content] of Object.entries(files)) {
      const path = join(root, rel);
      await Deno.mkdir(dirname(path), { recursive: true });
      await Deno.writeTextFile(path, content);
    }
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function hasWarning(warnings: readonly string[], ...parts: string[]): boolean {
  return warnings.some((w) => parts.every((p) => w.includes(p)));
}

Deno.test("modelIdFromName() lower-cases and turns spaces and underscores into dashes", async (t) => {
  const rows: Array<[name: string, id: string]> = [
    ["Qwen3-1.7B-4K", "qwen3-1.7b-4k"],
    ["Phi_3 Mini", "phi-3-mini"],
    ["qwen2.5_coder", "qwen2.5-coder"],
  ];
  for (const [name, id] of rows) {
    await t.step(`${name} → ${id}`, () => assert.equal(modelIdFromName(name), id));
  }
});

Deno.test("scanModels() reports a missing root as one warning and no models", async () => {
  const root = await Deno.makeTempDir();
  await Deno.remove(root);
  const result = await scanModels(root);
  assert.deepEqual(result.models, []);
  assert.equal(result.warnings.length, 1);
  assert.ok(result.warnings[0].includes(root));
});

Deno.test("scanModels() reports a root that is a file as one warning", async () => {
  await withTree({ "file.txt": "x" }, async (root) => {
    const result = await scanModels(join(root, "file.txt"));
    assert.deepEqual(result.models, []);
    assert.equal(result.warnings.length, 1);
    assert.ok(result.warnings[0].includes("not a directory"));
  });
});

Deno.test("scanModels() walks nested folders in sorted order", async (t) => {
  const files = {
    "zeta/Qwen3-1.7B-4K/Qwen3-1.7B-w8a8-rk3588.rkllm": "12345",
    "family/Phi_3 Mini/phi.rkllm": "ab",
    "Gemma-3-4b-it/gemma.rkllm": "abc",
    "a/b/c/d/deep.rkllm": "d",
    "a/b/c/d/e/too-deep.rkllm": "e",
    ".hidden/secret/x.rkllm": "h",
    "visible/.hidden-inner/y.rkllm": "h",
    ".stray.rkllm": "h",
    "upper/MODEL.RKLLM": "u",
    "notes/readme.txt": "no model here",
  };
  await withTree(files, async (root) => {
    const { models, warnings } = await scanModels(root);

    await t.step("ids in deterministic code-unit order, folders before subfolders", () => {
      assert.deepEqual(models.map((m) => m.id), [
        "gemma-3-4b-it",
        "d",
        "phi-3-mini",
        "qwen3-1.7b-4k",
      ]);
      assert.deepEqual(warnings, []);
    });

    await t.step("hidden entries, the case-sensitive suffix and depth > 4 are skipped", () => {
      for (const skipped of ["secret", "visible", "upper", "e", "stray"]) {
        assert.equal(models.some((m) => m.id === skipped), false, skipped);
      }
    });

    await t.step("entry fields come from the file, folder name and id", () => {
      const qwen = models.find((m) => m.id === "qwen3-1.7b-4k");
      assert.deepEqual(qwen, {
        id: "qwen3-1.7b-4k",
        path: join(root, "zeta/Qwen3-1.7B-4K/Qwen3-1.7B-w8a8-rk3588.rkllm"),
        dir: join(root, "zeta/Qwen3-1.7B-4K"),
        fileName: "Qwen3-1.7B-w8a8-rk3588.rkllm",
        sizeBytes: 5,
        contextLength: 4096,
        maxNewTokens: 2048,
        capabilities: ["thinking", "instruct"],
        thinkPrefilled: false,
        sampling: samplingFor("qwen3"),
        disableTools: false,
        skipChat: false,
      });
    });
  });
});

Deno.test("scanModels() uses the first of several .rkllm files and warns", async () => {
  await withTree({ "m/b.rkllm": "b", "m/a.rkllm": "a", "m/c.rkllm": "c" }, async (root) => {
    const { models, warnings } = await scanModels(root);
    assert.deepEqual(models.map((m) => [m.id, m.fileName]), [["m", "a.rkllm"]]);
    assert.equal(warnings.length, 1);
    assert.ok(hasWarning(warnings, "a.rkllm", "b.rkllm", "c.rkllm", "using a.rkllm"));
  });
});

Deno.test("scanModels() makes one model per root-level file, named after the file", async () => {
  const files = {
    "Qwen2.5_Coder-1.5B-16k.rkllm": "q",
    "solo.rkllm": "s",
    // A root-level sidecar would apply to every root-level model, so it is not read.
    "model_config.json": '{"context_length": 999}',
  };
  await withTree(files, async (root) => {
    const { models, warnings } = await scanModels(root);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      models.map((m) => [m.id, m.dir, m.contextLength]),
      [["qwen2.5-coder-1.5b-16k", root, 16384], ["solo", root, 4096]],
    );
    assert.deepEqual(models[0].sampling, samplingFor("qwen2.5-coder"));
  });
});

Deno.test("scanModels() keeps the first of two models with the same id and warns", async () => {
  await withTree({ "x/Model/a.rkllm": "a", "y/model/b.rkllm": "b" }, async (root) => {
    const { models, warnings } = await scanModels(root);
    assert.deepEqual(models.map((m) => m.path), [join(root, "x/Model/a.rkllm")]);
    assert.equal(warnings.length, 1);
    assert.ok(
      hasWarning(warnings, "'model'", join(root, "x/Model/a.rkllm"), join(root, "y/model/b.rkllm")),
    );
  });
});

Deno.test("scanModels() follows symlinked folders but visits each real folder once", async (t) => {
  const outside = await Deno.makeTempDir({ prefix: "rkllm-outside-" });
  try {
    await Deno.mkdir(join(outside, "ext"));
    await Deno.writeTextFile(join(outside, "ext", "e.rkllm"), "e");
    await withTree({ "m1/a.rkllm": "a" }, async (root) => {
      await Deno.symlink(root, join(root, "m1", "loop")); // back to the root: a cycle
      await Deno.symlink(join(root, "m1"), join(root, "m1", "self"));
      await Deno.symlink(join(root, "m1"), join(root, "m2-link")); // second name for m1
      await Deno.symlink(join(outside, "ext"), join(root, "linked"));
      await Deno.symlink(join(root, "missing"), join(root, "broken"));
      const { models, warnings } = await scanModels(root);

      await t.step("the loop ends and the external folder is found under its link name", () => {
        assert.deepEqual(models.map((m) => m.id), ["linked", "m1"]);
        assert.equal(models[0].path, join(root, "linked", "e.rkllm"));
      });
      await t.step("revisits and the broken link are reported", () => {
        assert.ok(hasWarning(warnings, join(root, "m1", "loop"), "same directory"));
        assert.ok(hasWarning(warnings, join(root, "m1", "self"), "same directory"));
        assert.ok(hasWarning(warnings, join(root, "m2-link"), "same directory"));
        assert.ok(hasWarning(warnings, join(root, "broken"), "broken symbolic link"));
        assert.equal(warnings.length, 4);
      });
    });
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("scanModels() follows a symlinked .rkllm file", async () => {
  await withTree({ "store/blob.bin.rkllm": "12" }, async (root) => {
    await Deno.mkdir(join(root, "m"));
    await Deno.symlink(join(root, "store", "blob.bin.rkllm"), join(root, "m", "model.rkllm"));
    const { models } = await scanModels(root);
    const m = models.find((e) => e.id === "m");
    assert.equal(m?.fileName, "model.rkllm");
    assert.equal(m?.sizeBytes, 2);
  });
});

Deno.test("scanModels() applies model_config.json overrides", async () => {
  const config = {
    context_length: 8192,
    capabilities: ["Instruct", "tools"],
    sampling: { temperature: 0.1, top_k: 5 },
    max_new_tokens: 512,
    disable_tools: true,
    skip_chat: true,
    think_prefilled: false,
    comment: "unknown keys are fine",
  };
  const files = {
    "Qwen3-4B-Thinking-2507/q-16k.rkllm": "q",
    "Qwen3-4B-Thinking-2507/model_config.json": JSON.stringify(config),
  };
  await withTree(files, async (root) => {
    const { models, warnings } = await scanModels(root);
    assert.deepEqual(warnings, []);
    const [m] = models;
    assert.equal(m.id, "qwen3-4b-thinking-2507");
    assert.equal(m.contextLength, 8192);
    assert.deepEqual(m.capabilities, ["instruct", "tools"]);
    assert.deepEqual(m.sampling, { ...samplingFor("qwen3"), temperature: 0.1, topK: 5 });
    assert.equal(m.maxNewTokens, 512);
    assert.equal(m.disableTools, true);
    assert.equal(m.skipChat, true);
    assert.equal(m.thinkPrefilled, false);
    assert.equal(m.configWarnings, undefined);
  });
});

Deno.test("scanModels() ignores an invalid model_config.json with a warning", async (t) => {
  const files = {
    "bad-json/qwen3-4b-thinking-2507.rkllm": "a",
    "bad-json/model_config.json": "{ not json",
    "bad-values/m.rkllm": "b",
    "bad-values/model_config.json": '{"context_length": -1, "sampling": {"top_p": 7}}',
  };
  await withTree(files, async (root) => {
    const { models, warnings } = await scanModels(root);
    await t.step("both models are still served with detected values", () => {
      assert.deepEqual(models.map((m) => [m.id, m.contextLength]), [
        ["bad-json", 4096],
        ["bad-values", 4096],
      ]);
      assert.deepEqual(models[1].sampling, samplingFor("bad-values"));
    });
    await t.step("each problem is a warning naming the file", () => {
      assert.equal(warnings.length, 2);
      assert.ok(hasWarning(warnings, join(root, "bad-json", "model_config.json"), "invalid JSON"));
      assert.ok(
        hasWarning(warnings, join(root, "bad-values", "model_config.json"), "context_length"),
      );
    });
    await t.step("the entry carries its own config warnings", () => {
      assert.equal(models[0].configWarnings?.length, 1);
      assert.ok(models[1].configWarnings?.[0].includes("sampling.top_p"));
    });
  });
});

Deno.test("scanModels() finds the context in the file name before the folder name", async (t) => {
  const files = {
    "m-8k/model-4k.rkllm": "a",
    "n-8k/model.rkllm": "b",
    "plain/model.rkllm": "c",
  };
  await withTree(files, async (root) => {
    await t.step("file, then folder, then the built-in default", async () => {
      const { models } = await scanModels(root);
      assert.deepEqual(models.map((m) => [m.id, m.contextLength]), [
        ["m-8k", 4096],
        ["n-8k", 8192],
        ["plain", 4096],
      ]);
    });
    await t.step("scan options replace the defaults", async () => {
      const { models } = await scanModels(root, { defaultContext: 2048, defaultMaxNewTokens: 99 });
      const plain = models.find((m) => m.id === "plain");
      assert.equal(plain?.contextLength, 2048);
      assert.equal(plain?.maxNewTokens, 99);
    });
  });
});

Deno.test("scanModels() marks a folder with a .rknn vision encoder as vl", async () => {
  const files = {
    "Qwen3-VL-2B/llm.rkllm": "a",
    "Qwen3-VL-2B/vision.rknn": "b",
    "Qwen3-VL-4B/llm.rkllm": "c",
  };
  await withTree(files, async (root) => {
    const { models } = await scanModels(root);
    assert.deepEqual(models.map((m) => [m.id, m.capabilities]), [
      ["qwen3-vl-2b", ["instruct", "vl"]],
      ["qwen3-vl-4b", ["instruct"]],
    ]);
  });
});

Deno.test("scanModels() accepts a relative root and returns absolute paths", async () => {
  await withTree({ "m/a.rkllm": "a" }, async (root) => {
    const relative = join(".", ...new Array(40).fill(".."), root);
    const { models } = await scanModels(relative);
    assert.equal(models[0].path, join(root, "m", "a.rkllm"));
  });
});
