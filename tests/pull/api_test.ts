/**
 * POST /api/pull and DELETE /api/delete end to end: the ollama npm client against the server
 * wired with the live models folder and a ModelAdmin, pulling from a fake Hub on loopback.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { Ollama } from "ollama";
import { startLiveServer } from "../models/live_server.ts";
import { bytesOf, startFakeHub } from "./fake_hub.ts";

Deno.test("api pull/delete e2e: a pulled model is listed at once, loads, and is deleted only once unloaded", async () => {
  const hub = startFakeHub({
    repos: {
      "owner/Gemma-2B-RKLLM": {
        files: [
          { path: "gemma-2b-w8a8-rk3588.rkllm", content: bytesOf(300_000, 3) },
          {
            path: "model_config.json",
            content: new TextEncoder().encode('{"context_length": 2048}'),
          },
        ],
      },
      "owner/Docs": { files: [{ path: "README.md", content: new TextEncoder().encode("# x") }] },
    },
  });
  // A long debounce: the listing right after `success` must not depend on the watcher.
  const server = await startLiveServer({ "Phi-3-Mini-4K-Instruct": "phi.rkllm" }, {
    hubEndpoint: hub.endpoint,
    watch: { debounceMs: 60_000 },
  });
  const client = new Ollama({ host: server.url });
  const dir = server.dir;
  try {
    const statuses: string[] = [];
    let completed = 0;
    for await (const p of await client.pull({ model: "owner/Gemma-2B-RKLLM", stream: true })) {
      statuses.push(p.status);
      completed = Math.max(completed, p.completed ?? 0);
    }
    assert.equal(statuses[0], "pulling manifest");
    assert.equal(statuses.at(-1), "success");
    assert.ok(statuses.includes("verifying sha256 digest"));
    assert.equal(completed, 300_000);

    const { models } = await client.list();
    const gemma = models.find((m) => m.name === "gemma-2b-rkllm");
    assert.ok(gemma, `listed: ${models.map((m) => m.name).join(", ")}`);
    assert.equal(gemma.size, 300_000);
    const show = await client.show({ model: "gemma-2b-rkllm" });
    assert.match(show.parameters, /num_ctx 2048/, "its model_config.json was pulled and read");

    // Loaded: refused, and the files stay.
    await client.generate({ model: "gemma-2b-rkllm", prompt: "Hi", stream: false });
    await assert.rejects(client.delete({ model: "gemma-2b-rkllm" }), /is loaded/);
    await Deno.stat(join(dir, "Gemma-2B-RKLLM"));

    await client.generate({ model: "gemma-2b-rkllm", prompt: "", keep_alive: 0 });
    await client.delete({ model: "gemma-2b-rkllm" });
    await assert.rejects(Deno.stat(join(dir, "Gemma-2B-RKLLM")), Deno.errors.NotFound);
    assert.deepEqual((await client.list()).models.map((m) => m.name), ["phi-3-mini-4k-instruct"]);
    await assert.rejects(client.delete({ model: "gemma-2b-rkllm" }), /No model folder/);

    // A repo without a .rkllm: the client sees the reason.
    await assert.rejects(client.pull({ model: "owner/Docs" }), /owner\/Docs has no \.rkllm file/);
  } finally {
    await server.close();
    await hub.close();
  }
});

Deno.test("model admin: a server without write access says so instead of an internal error", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(join(dir, "Phi"));
  await Deno.writeTextFile(join(dir, "Phi", "phi.rkllm"), "x");
  const script = `
    import { createModelAdmin } from ${
    JSON.stringify(new URL("../../src/models/admin.ts", import.meta.url).href)
  };
    import { ModelRegistry } from ${
    JSON.stringify(new URL("../../src/models/registry.ts", import.meta.url).href)
  };
    import { httpError } from ${
    JSON.stringify(new URL("../../src/http/errors.ts", import.meta.url).href)
  };
    const admin = createModelAdmin({
      modelsDir: ${JSON.stringify(dir)},
      registry: new ModelRegistry([]),
      modelsInUse: () => [],
      refresh: () => Promise.resolve(),
    });
    try { await admin.remove("phi"); } catch (err) { console.log(httpError(err).status, err.code, err.message); }
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(script));
  await writer.close();
  const { stdout } = await child.output();
  try {
    assert.match(
      new TextDecoder().decode(stdout),
      /^500 models_folder_not_writable The server cannot write to its models folder .*--allow-write/,
    );
    await Deno.stat(join(dir, "Phi", "phi.rkllm"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
