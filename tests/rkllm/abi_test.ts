import assert from "node:assert/strict";
import { abiForRuntime, abiFromDefaultParam, chooseAbi } from "../../src/rkllm/abi.ts";
import { RkllmError } from "../../src/errors.ts";
import { openLibrary } from "../../src/rkllm/ffi.ts";
import { mockLibrary } from "../support/mock.ts";
import { ABI_VERSIONS } from "../../src/rkllm/versions.ts";

Deno.test("abiForRuntime() maps releases to layouts and refuses others", () => {
  for (const v of ["1.2.1", "1.2.2", "1.2.3"]) assert.equal(abiForRuntime(v), "1.2.3");
  assert.equal(abiForRuntime("1.3.0"), "1.3.0");
  for (const v of ["1.1.4", "1.2.0", "1.2.1b1", "2.0.0"]) assert.equal(abiForRuntime(v), null);
});

Deno.test("abiFromDefaultParam() reads the documented defaults at each layout's offsets", () => {
  const v123 = new Uint8Array(256);
  v123[93] = 4;
  v123[100] = 1;
  assert.equal(abiFromDefaultParam(v123), "1.2.3");
  const v130 = new Uint8Array(256);
  v130[65] = 4;
  v130[72] = 1;
  assert.equal(abiFromDefaultParam(v130), "1.3.0");
  assert.equal(abiFromDefaultParam(new Uint8Array(256)), null, "neither");
  const both = new Uint8Array(256);
  for (const [at, value] of [[93, 4], [100, 1], [65, 4], [72, 1]]) both[at] = value;
  assert.equal(abiFromDefaultParam(both), null, "ambiguous");
});

Deno.test("chooseAbi(): the setting wins; else the probe decides for unknown builds", async () => {
  for (const abi of ABI_VERSIONS) {
    const lib = openLibrary(mockLibrary(abi));
    try {
      assert.deepEqual(await chooseAbi(lib, "1.3.0"), { abi: "1.3.0", reason: "abi setting" });
      const probed = await chooseAbi(lib, "auto");
      assert.equal(probed.abi, abi);
      assert.match(probed.reason, /default-parameter probe/);
    } finally {
      lib.close();
    }
  }
});

Deno.test("chooseAbi() refuses a library whose defaults match neither layout", async () => {
  const fake = {
    path: "/x/librkllmrt.so",
    symbols: { rkllm_createDefaultParam: () => new Uint8Array(256) },
    close() {},
  };
  // identifyLibrary reads the file: point it at a real file with an unknown hash.
  const path = await Deno.makeTempFile();
  try {
    await Deno.writeTextFile(path, "not an official build");
    await assert.rejects(
      // deno-lint-ignore no-explicit-any
      chooseAbi({ ...fake, path } as any, "auto"),
      (err: unknown) =>
        err instanceof RkllmError && /--abi 1\.2\.3 or --abi 1\.3\.0/.test(err.message),
    );
  } finally {
    await Deno.remove(path);
  }
});
