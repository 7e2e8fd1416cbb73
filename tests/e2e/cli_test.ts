import assert from "node:assert/strict";
import { join } from "node:path";
import { makeModelsDir, mockLibrary, ROOT, RUN_MAIN } from "../support/mock.ts";
import { bytesOf, startFakeHub } from "../pull/fake_hub.ts";
import { withServer } from "../support/server.ts";

async function run(args: string[], env: Record<string, string> = {}, runArgs = RUN_MAIN) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...runArgs, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** The flags a deno.json task gives `deno run`/`deno compile` (without its subcommand/output). */
function taskFlags(task: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  return (config.tasks[task] as string).split(" ").filter((w) =>
    w.startsWith("--") && !w.startsWith("--output") && !w.startsWith("--target") &&
    w !== "--watch"
  );
}

/** `deno run` with exactly the permissions and flags of the compiled binary. */
const RUN_AS_BINARY = ["run", ...taskFlags("compile"), join(ROOT, "main.ts")];

Deno.test("cli: --help lists every setting, --version prints the version", async () => {
  const help = await run(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--models/);
  assert.match(help.stdout, /RKLLM_LIB_PATH/);
  assert.match(help.stdout, /pull <owner\/repo/);
  assert.match(help.stdout, /rm <name>/);
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

Deno.test("cli: --port abc is one line saying a number is expected", async () => {
  const res = await run(["--port", "abc"]);
  assert.equal(res.code, 2);
  assert.equal(
    res.stderr.trim(),
    'rkllm-api: invalid value "abc" for port (--port / RKLLM_API_PORT, flags): expected a number',
  );
});

Deno.test("cli: unknown commands and wrong argument counts exit 2 with one line", async () => {
  for (
    const [args, message] of [
      [["serv"], "unknown command 'serv'"],
      [["pull"], "'pull' takes one argument"],
      [["rm", "a", "b"], "'rm' takes one argument"],
      [["models", "x"], "'models' takes no arguments"],
    ] as const
  ) {
    const res = await run([...args]);
    assert.equal(res.code, 2, args.join(" "));
    assert.equal(res.stderr.trim().split("\n").length, 1, res.stderr);
    assert.ok(res.stderr.includes(message), res.stderr);
  }
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

Deno.test("cli: a port in use is one line with doctor's fix and exit 1, no stack trace", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const modelsDir = await makeModelsDir({ "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" });
  try {
    const port = (taken.addr as Deno.NetAddr).port;
    const at = ["--host=127.0.0.1", `--port=${port}`, `--lib=${mockLibrary()}`];
    const res = await run(["serve", ...at, `--models=${modelsDir}`]);
    assert.equal(res.code, 1);
    const errors = res.stderr.split("\n").filter((l) => / ERROR /.test(l));
    assert.equal(errors.length, 1, res.stderr);
    assert.ok(errors[0].includes(`127.0.0.1:${port} is in use`), errors[0]);
    assert.ok(errors[0].includes("fix: stop the other server"), errors[0]);
    assert.doesNotMatch(res.stderr, /AddrInUse|^\s+at /m);
  } finally {
    taken.close();
    await Deno.remove(modelsDir, { recursive: true });
  }
});

Deno.test("cli: rm deletes a model folder with the compiled binary's permissions", async () => {
  const modelsDir = await makeModelsDir({ "Old-Model": "Old-Model-w8a8.rkllm" });
  try {
    const res = await run(["rm", "Old-Model", "--models", modelsDir], {}, RUN_AS_BINARY);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /deleted .*Old-Model/);
    assert.deepEqual([...Deno.readDirSync(modelsDir)], []);
    const again = await run(["rm", "Old-Model", "--models", modelsDir], {}, RUN_AS_BINARY);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error: /);
  } finally {
    await Deno.remove(modelsDir, { recursive: true });
  }
});

Deno.test("cli: pull takes HF_ENDPOINT and HF_TOKEN from the environment, --name for the folder", async () => {
  const weights = bytesOf(64 * 1024);
  const hub = startFakeHub({
    token: "hf_secret",
    repos: {
      "owner/Tiny-RKLLM": {
        access: "private",
        files: [{ path: "Tiny-w8a8-rk3588.rkllm", content: weights }],
      },
    },
  });
  const modelsDir = await Deno.makeTempDir({ prefix: "rkllm-pull-cli-" });
  try {
    const env = { HF_ENDPOINT: hub.endpoint };
    const args = ["pull", "owner/Tiny-RKLLM", "--models", modelsDir, "--name", "Tiny"];
    const refused = await run(args, env, RUN_AS_BINARY);
    assert.equal(refused.code, 1, "a private repo without the token");
    const res = await run(args, { ...env, HF_TOKEN: "hf_secret" }, RUN_AS_BINARY);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /pulled owner\/Tiny-RKLLM into .*Tiny/);
    const got = await Deno.readFile(join(modelsDir, "Tiny", "Tiny-w8a8-rk3588.rkllm"));
    assert.equal(got.length, weights.length);
    assert.ok(hub.requests.some((r) => r.authorization === "Bearer hf_secret"));
  } finally {
    await hub.close();
    await Deno.remove(modelsDir, { recursive: true });
  }
});

Deno.test("cli: the bundle's first line, the start task and deno compile carry the same flags", () => {
  const shebang = Deno.readTextFileSync(join(ROOT, "main.ts")).split("\n")[0];
  assert.match(shebang, /^#!\/usr\/bin\/env -S deno run /);
  const fromShebang = shebang.split(" ").filter((w) => w.startsWith("--"));
  assert.deepEqual(fromShebang, taskFlags("compile"));
  assert.deepEqual(taskFlags("start"), taskFlags("compile"));
  assert.deepEqual(taskFlags("compile:arm64"), taskFlags("compile"));
  assert.ok(fromShebang.includes("--unstable-no-legacy-abort"));
});

Deno.test("cli: the bundle run without deno.json prints no legacy-abort warning", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rkllm-bundle-" });
  try {
    const bundle = join(dir, "rkllm-api.js");
    const built = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "deno", "--output", bundle, join(ROOT, "main.ts")],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.ok(built.success, new TextDecoder().decode(built.stderr));
    // As `./rkllm-api.js` runs it: the flags of its own first line, and no deno.json.
    const flags = Deno.readTextFileSync(bundle).split("\n")[0].split(" ")
      .filter((w) => w.startsWith("--"));
    await withServer({
      command: [Deno.execPath(), "run", "--no-config", ...flags, bundle],
      env: { RKLLM_MOCK_TOKENS: "2" },
    }, async (server) => {
      // Deno warns at the first request whose signal a handler watches: a chat.
      const res = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "qwen3-1.7b", messages: [{ role: "user", content: "hi" }] }),
      });
      assert.equal(res.status, 200);
      await res.body?.cancel();
      assert.doesNotMatch(server.logs.join("\n"), /legacy/i);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: the demo listens on 127.0.0.1 unless told otherwise", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...taskFlags("demo"),
      join(ROOT, "tests", "mock", "demo.ts"),
      "--port",
      "0",
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", RKLLM_MOCK_INIT_MS: "0" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let log = "";
  let url: string | undefined;
  while (!url) {
    const { value, done } = await lines.read();
    if (done) break;
    log += value;
    url = log.match(/listening url=(\S+)/)?.[1];
  }
  child.kill("SIGTERM");
  await lines.cancel();
  await child.status;
  assert.match(url ?? log, /^http:\/\/127\.0\.0\.1:\d+$/);
});

Deno.test("cli: the mock build without a C compiler says what to install and exits 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "rkllm-nocc-" });
  try {
    await Deno.mkdir(join(dir, "tests", "mock"), { recursive: true });
    for (const entry of Deno.readDirSync(join(ROOT, "tests", "mock"))) {
      if (/\.(c|h|sh)$/.test(entry.name)) {
        await Deno.copyFile(
          join(ROOT, "tests", "mock", entry.name),
          join(dir, "tests", "mock", entry.name),
        );
      }
    }
    const out = await new Deno.Command("sh", {
      args: [join(dir, "tests", "mock", "build.sh")],
      env: { CC: "no-such-cc" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, stderr);
    assert.match(stderr, /no C compiler: 'no-such-cc' is not installed/);
    assert.match(stderr, /apt install gcc/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cli: an empty models folder is loud: a WARN line, /health status no_models", async () => {
  await withServer({ models: {} }, async (server) => {
    assert.ok(
      server.logs.some((l) => /^\S+ WARN {2}\[models\] NO MODELS in /.test(l)),
      server.logs.join("\n"),
    );
    const health = await (await fetch(`${server.url}/health`)).json();
    assert.equal(health.status, "no_models");
    assert.equal(health.models_available, 0);
  });
  await withServer({}, async (server) => {
    assert.equal((await (await fetch(`${server.url}/health`)).json()).status, "ok");
  });
});
