import assert from "node:assert/strict";
import { RkllmError } from "../../src/errors.ts";
import { candidatePaths, findLibrary } from "../../src/rkllm/library_path.ts";

Deno.test("candidatePaths() uses only the configured path when one is set", () => {
  assert.deepEqual(
    candidatePaths({
      configured: "/opt/rk/librkllmrt.so",
      execPath: "/usr/local/bin/rkllm-api",
      home: "/home/pi",
    }),
    ["/opt/rk/librkllmrt.so"],
  );
});

Deno.test("candidatePaths() searches next to the binary, /usr/lib, /usr/local/lib, then home", () => {
  assert.deepEqual(
    candidatePaths({ configured: "", execPath: "/usr/local/bin/rkllm-api", home: "/home/pi" }),
    [
      "/usr/local/bin/librkllmrt.so",
      "/usr/lib/librkllmrt.so",
      "/usr/local/lib/librkllmrt.so",
      "/home/pi/librkllmrt.so",
    ],
  );
  assert.equal(candidatePaths({ configured: "", execPath: "/x/y", home: undefined }).length, 3);
});

Deno.test("findLibrary() returns the first existing candidate", () => {
  const found = findLibrary(["/a/lib.so", "/b/lib.so", "/c/lib.so"], (p) => p !== "/a/lib.so");
  assert.equal(found, "/b/lib.so");
});

Deno.test("findLibrary() names every path tried and the setting when nothing exists", () => {
  assert.throws(
    () => findLibrary(["/a/librkllmrt.so", "/b/librkllmrt.so"], () => false),
    (err: unknown) =>
      err instanceof RkllmError && err.message.includes("/a/librkllmrt.so, /b/librkllmrt.so") &&
      err.message.includes("RKLLM_LIB_PATH") && err.message.includes("--lib"),
  );
});
