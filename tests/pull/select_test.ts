import assert from "node:assert/strict";
import {
  AmbiguousModelError,
  InvalidModelNameError,
  InvalidReferenceError,
  NoModelFileError,
  SelectorNotMatchedError,
} from "../../src/models/pull/errors.ts";
import { checkFolderName, defaultFolderName } from "../../src/models/pull/folder_name.ts";
import type { HubFile } from "../../src/models/pull/hub_client.ts";
import { parseReference } from "../../src/models/pull/reference.ts";
import { selectFiles } from "../../src/models/pull/select.ts";

const file = (path: string): HubFile => ({ path, size: 1, gitOid: "0", sha256: "a" });

Deno.test("parseReference: repo, repo:quant, repo:file, hf.co URLs", () => {
  assert.deepEqual(parseReference("owner/Qwen3-1.7B"), { repo: "owner/Qwen3-1.7B" });
  assert.deepEqual(parseReference(" owner/repo:w8a8 "), { repo: "owner/repo", selector: "w8a8" });
  assert.deepEqual(parseReference("owner/repo:Qwen3-1.7B-w8a8-rk3588.rkllm"), {
    repo: "owner/repo",
    selector: "Qwen3-1.7B-w8a8-rk3588.rkllm",
  });
  assert.deepEqual(parseReference("https://huggingface.co/owner/repo"), { repo: "owner/repo" });
});

Deno.test("parseReference: malformed references are typed errors", () => {
  for (const bad of ["", "repo", "a/b/c", "owner/repo:", "owner/re po", "../x", "o/r:../etc"]) {
    assert.throws(() => parseReference(bad), InvalidReferenceError, bad);
  }
});

Deno.test("selectFiles: the only .rkllm, with the config and encoder beside it", () => {
  const plan = selectFiles("o/r", [
    file("README.md"),
    file("m/model-w8a8-rk3588.rkllm"),
    file("m/model_config.json"),
    file("model_config.json"),
    file("m/vision-rk3576.rknn"),
    file("m/vision-rk3588.rknn"),
  ]);
  assert.equal(plan.model.path, "m/model-w8a8-rk3588.rkllm");
  assert.equal(plan.config?.path, "m/model_config.json");
  assert.equal(plan.visionEncoder?.path, "m/vision-rk3588.rknn");
  assert.equal(plan.repoHasSeveralModels, false);
});

Deno.test("selectFiles: config from an ancestor folder, nothing from a sibling folder", () => {
  const plan = selectFiles("o/r", [
    file("a/x.rkllm"),
    file("model_config.json"),
    file("b/vision.rknn"),
  ]);
  assert.equal(plan.config?.path, "model_config.json");
  assert.equal(plan.visionEncoder, undefined);
});

Deno.test("selectFiles: no .rkllm, several without a selector, no match", () => {
  assert.throws(() => selectFiles("o/r", [file("model.safetensors")]), NoModelFileError);
  const several = [file("q-w8a8.rkllm"), file("q-w4a16.rkllm")];
  assert.throws(() => selectFiles("o/r", several), (err: unknown) => {
    assert.ok(err instanceof AmbiguousModelError);
    assert.deepEqual(err.candidates, ["q-w4a16.rkllm", "q-w8a8.rkllm"]);
    assert.match(err.message, /q-w4a16\.rkllm, q-w8a8\.rkllm/);
    return true;
  });
  assert.throws(() => selectFiles("o/r", several, "w4a8"), SelectorNotMatchedError);
});

Deno.test("selectFiles: a quant tag matches whole name parts, a file name matches exactly", () => {
  const files = [file("q-w8a8-rk3588.rkllm"), file("q-w8a8_g128-rk3588.rkllm"), file("qw4.rkllm")];
  assert.throws(() => selectFiles("o/r", files, "w8a8"), AmbiguousModelError);
  assert.equal(selectFiles("o/r", files, "g128").model.path, "q-w8a8_g128-rk3588.rkllm");
  assert.equal(selectFiles("o/r", files, "Q-W8A8-rk3588.rkllm").model.path, "q-w8a8-rk3588.rkllm");
  assert.throws(() => selectFiles("o/r", files, "w4"), SelectorNotMatchedError);
  assert.equal(selectFiles("o/r", files, "g128").repoHasSeveralModels, true);
});

Deno.test("folder names: repo name for one model, file stem for several; no traversal", () => {
  const ref = { repo: "owner/Qwen3-1.7B" };
  assert.equal(defaultFolderName(ref, "x/q-w8a8.rkllm", false), "Qwen3-1.7B");
  assert.equal(defaultFolderName(ref, "x/q-w8a8.rkllm", true), "q-w8a8");
  for (const bad of ["", "..", ".hidden", "a/b", "a\\b"]) {
    assert.throws(() => checkFolderName(bad), InvalidModelNameError, bad);
  }
});
