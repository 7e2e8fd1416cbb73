import assert from "node:assert/strict";
import { join } from "node:path";
import { checkLibraryFile, elfProblem } from "../../src/rkllm/elf.ts";
import { mockLibrary, ROOT } from "../support/mock.ts";

Deno.test("elfProblem() accepts the built mock and rejects damaged or foreign files", async (t) => {
  const bytes = await Deno.readFile(mockLibrary());
  await t.step("the whole library", () => {
    assert.equal(elfProblem(bytes, bytes.length, Deno.build.arch), null);
  });
  for (const cut of [200, 4096, Math.floor(bytes.length / 2), bytes.length - 1]) {
    await t.step(`cut to ${cut} bytes`, () => {
      assert.match(elfProblem(bytes.subarray(0, cut), cut, Deno.build.arch) ?? "", /truncated/);
    });
  }
  await t.step("another architecture", () => {
    const other = Deno.build.arch === "x86_64" ? "aarch64" : "x86_64";
    assert.match(elfProblem(bytes, bytes.length, other) ?? "", /built for .*, but this machine is/);
  });
  await t.step("not ELF", () => {
    const text = new TextEncoder().encode("#!/bin/sh\n".padEnd(100, " "));
    assert.equal(elfProblem(text, text.length, "x86_64"), "not an ELF shared library");
  });
});

Deno.test("checkLibraryFile() reads the file and names missing files", () => {
  assert.equal(checkLibraryFile(mockLibrary()), null);
  assert.match(checkLibraryFile(join(ROOT, "nonexistent.so")) ?? "", /No such file|not found/i);
});
