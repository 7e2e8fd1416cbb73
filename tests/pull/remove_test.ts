import assert from "node:assert/strict";
import { join } from "node:path";
import {
  InvalidModelNameError,
  LocalModelNotFoundError,
  ModelInUseError,
} from "../../src/models/pull/errors.ts";
import { removeModel } from "../../src/models/pull/remove.ts";

async function withModels(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "Qwen3-1.7B"));
    await Deno.writeFile(join(root, "Qwen3-1.7B", "q.rkllm"), new Uint8Array(4));
    await Deno.writeFile(join(root, "Loose_Model.rkllm"), new Uint8Array(4));
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("removeModel: by folder name, by model id, and a root-level file", async () => {
  await withModels(async (root) => {
    assert.deepEqual(await removeModel(root, "qwen3-1.7b"), { path: join(root, "Qwen3-1.7B") });
    assert.equal(await exists(join(root, "Qwen3-1.7B")), false);
    await removeModel(root, "loose-model");
    assert.equal(await exists(join(root, "Loose_Model.rkllm")), false);
  });
});

Deno.test("removeModel: a loaded model is refused, or unloaded first when asked", async () => {
  await withModels(async (root) => {
    const folder = join(root, "Qwen3-1.7B");
    const isLoaded = (path: string) => path === folder;
    await assert.rejects(removeModel(root, "Qwen3-1.7B", { isLoaded }), ModelInUseError);
    assert.equal(await exists(folder), true);
    const unloaded: string[] = [];
    await removeModel(root, "Qwen3-1.7B", {
      isLoaded,
      unload: (path) => Promise.resolve(void unloaded.push(path)),
    });
    assert.deepEqual(unloaded, [folder]);
    assert.equal(await exists(folder), false);
  });
});

Deno.test("removeModel: unknown names and paths outside the root are refused", async () => {
  await withModels(async (root) => {
    await assert.rejects(removeModel(root, "nope"), LocalModelNotFoundError);
    await assert.rejects(removeModel(root, "../etc"), InvalidModelNameError);
    await assert.rejects(removeModel(root, ".."), InvalidModelNameError);
    await assert.rejects(removeModel(join(root, "missing"), "x"), LocalModelNotFoundError);
  });
});

Deno.test("removeModel: a symlinked folder loses its link, not the target's files", async () => {
  await withModels(async (root) => {
    const target = await Deno.makeTempDir();
    try {
      await Deno.writeFile(join(target, "m.rkllm"), new Uint8Array(4));
      await Deno.symlink(target, join(root, "Linked"));
      await removeModel(root, "linked");
      assert.equal(await exists(join(root, "Linked")), false);
      assert.equal(await exists(join(target, "m.rkllm")), true);
    } finally {
      await Deno.remove(target, { recursive: true });
    }
  });
});
