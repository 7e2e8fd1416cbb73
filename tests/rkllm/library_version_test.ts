import assert from "node:assert/strict";
import { gitBlobHash, identifyLibrary } from "../../src/rkllm/library_version.ts";
import { KNOWN_BUILDS } from "../../src/rkllm/versions.ts";

Deno.test("gitBlobHash() equals git hash-object", async () => {
  const bytes = new TextEncoder().encode("hello rkllm\n");
  // `printf 'hello rkllm\n' | git hash-object --stdin`
  const git = new Deno.Command("git", {
    args: ["hash-object", "--stdin"],
    stdin: "piped",
    stdout: "piped",
  })
    .spawn();
  const writer = git.stdin.getWriter();
  await writer.write(bytes);
  await writer.close();
  const expected = new TextDecoder().decode((await git.output()).stdout).trim();
  assert.equal(await gitBlobHash(bytes), expected);
  assert.equal(await gitBlobHash(new Uint8Array(0)), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
});

Deno.test("identifyLibrary() names known builds and reports unknown ones", async () => {
  assert.deepEqual(KNOWN_BUILDS["0084abc34ab43359cfa9fd5d4c92ece34127dbd0"], {
    version: "1.2.3",
    arch: "aarch64",
  });
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "not a runtime");
    const id = await identifyLibrary(path);
    assert.equal(id.known, null);
    assert.match(id.hash, /^[0-9a-f]{40}$/);
  } finally {
    await Deno.remove(path);
  }
});
