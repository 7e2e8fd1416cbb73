import assert from "node:assert/strict";
import { RUN_MAIN } from "../support/mock.ts";

async function run(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...RUN_MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("cli: --help lists every setting, --version prints the version", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--models/);
  assert.match(help.stdout, /RKLLM_LIB_PATH/);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^rkllm-api \d+\.\d+\.\d+/);
});

Deno.test("cli: bad settings exit 2 with a message naming the setting", async () => {
  const res = await run(["--port", "99999"]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /port.*RKLLM_API_PORT/);
  assert.equal((await run(["--nope", "1"])).code, 2);
});

Deno.test("cli: a missing runtime library exits 1 naming the paths tried", async () => {
  const res = await run([
    "serve",
    "--lib",
    "/nonexistent/librkllmrt.so",
    "--models",
    "/nonexistent",
  ]);
  assert.equal(res.code, 1);
  assert.match(res.stderr, /\/nonexistent\/librkllmrt\.so/);
  assert.match(res.stderr, /RKLLM_LIB_PATH/);
});
