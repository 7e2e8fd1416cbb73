import assert from "node:assert/strict";
import { join } from "node:path";
import { createLogger } from "../../src/log.ts";
import { scanModels } from "../../src/models/discovery.ts";
import { type ModelEntry, ModelRegistry } from "../../src/models/registry.ts";
import { isRelevantEvent, watchModels } from "../../src/models/watch.ts";
import { makeModelsDir, readMockLog, ROOT, withEnv } from "../support/mock.ts";
import { startLiveServer } from "./live_server.ts";

/** Polls `probe` until it returns true; fails after `ms`. */
async function waitFor(what: string, probe: () => boolean | Promise<boolean>, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function addModel(dir: string, folder: string, file = `${folder}-w8a8.rkllm`) {
  await Deno.mkdir(join(dir, folder), { recursive: true });
  await Deno.writeTextFile(join(dir, folder, file), "mock weights\n");
}

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger("info", (line) => lines.push(line)) };
}

Deno.test("isRelevantEvent() keeps changes discovery can see and drops the rest", async (t) => {
  const rows: [Deno.FsEvent["kind"], string[], boolean][] = [
    ["create", ["/m/Qwen3-1.7B"], true],
    ["remove", ["/m/Qwen3-1.7B/x.rkllm"], true],
    ["rename", ["/m/A", "/m/B"], true],
    ["modify", ["/m/A/x.rkllm"], true],
    ["modify", ["/m/A/model_config.json"], true],
    ["modify", ["/m/A/vision-rk3588.rknn"], true],
    ["modify", ["/m/A/x.rkllm.partial"], false],
    ["modify", ["/m/mock-calls.log"], false],
    ["access", ["/m/A/x.rkllm"], false],
    ["create", ["/m/A/.rkllm-pull.json"], false],
    ["other", ["/m/A"], true],
  ];
  for (const [kind, paths, expected] of rows) {
    await t.step(`${kind} ${paths.join(" ")} → ${expected}`, () => {
      assert.equal(isRelevantEvent({ kind, paths }), expected);
    });
  }
});

Deno.test("refresh() rescans at once; calls during a scan share one more scan", async () => {
  const dir = await makeModelsDir({ "Qwen3-1.7B": "q.rkllm" });
  let scans = 0;
  const registry = new (class extends ModelRegistry {
    override replace(entries: readonly ModelEntry[]) {
      scans++;
      return super.replace(entries);
    }
  })([]);
  const watcher = watchModels(dir, registry, { ...capture(), watch: false, pollMs: 0 });
  try {
    const first = await watcher.refresh();
    assert.deepEqual(first, { added: ["qwen3-1.7b"], removed: [], changed: [] });
    scans = 0;
    const all = await Promise.all([watcher.refresh(), watcher.refresh(), watcher.refresh()]);
    assert.equal(scans, 2, "the running scan, then one shared by the later callers");
    assert.deepEqual(all[1], all[2]);
    await addModel(dir, "Phi-3-Mini");
    const change = await watcher.refresh();
    assert.deepEqual(change.added, ["phi-3-mini"]);
  } finally {
    await watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchModels() sees a model added, renamed and removed, and logs the vanished one", async () => {
  const dir = await makeModelsDir({ "Qwen3-1.7B": "q.rkllm" });
  const registry = new ModelRegistry((await scanModels(dir)).models);
  const { lines, log } = capture();
  const watcher = watchModels(dir, registry, { log, debounceMs: 50 });
  try {
    await addModel(dir, "Phi-3-Mini");
    await waitFor("the added model", () => registry.get("phi-3-mini") !== undefined);
    await Deno.rename(join(dir, "Phi-3-Mini"), join(dir, "Phi-3-Mini-Old"));
    await waitFor("the renamed model", () => registry.get("phi-3-mini-old") !== undefined);
    assert.equal(registry.get("phi-3-mini"), undefined);
    await Deno.remove(join(dir, "Qwen3-1.7B"), { recursive: true });
    await waitFor("the removal", () => registry.get("qwen3-1.7b") === undefined);
    assert.deepEqual(registry.ids(), ["phi-3-mini-old"]);
    assert.ok(lines.some((l) => /model vanished .* id=qwen3-1\.7b/.test(l)), lines.join("\n"));
    assert.ok(lines.some((l) => /model added id=phi-3-mini /.test(l)));
  } finally {
    await watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("watchModels() polls a folder it cannot watch and watches it once it exists", async () => {
  const parent = await Deno.makeTempDir();
  const dir = join(parent, "models");
  const registry = new ModelRegistry([]);
  const { lines, log } = capture();
  const watcher = watchModels(dir, registry, { log, debounceMs: 50, pollMs: 100 });
  try {
    await addModel(dir, "Qwen3-1.7B");
    await waitFor("the model in the new folder", () => registry.size === 1);
    // Watching now: a second model shows without waiting for a poll.
    await waitFor(
      "the watcher",
      () => lines.some((l) => l.includes("watching the models folder again")),
    );
    await addModel(dir, "Phi-3-Mini");
    await waitFor("the second model", () => registry.size === 2);
    assert.equal(
      lines.filter((l) => l.includes("cannot watch the models folder")).length,
      1,
      "the failure is logged once, not at every poll",
    );
  } finally {
    await watcher.close();
    await Deno.remove(parent, { recursive: true });
  }
});

Deno.test("watchModels() with watch: false rescans every pollMs", async () => {
  const dir = await makeModelsDir({});
  const registry = new ModelRegistry([]);
  const watcher = watchModels(dir, registry, { ...capture(), watch: false, pollMs: 100 });
  try {
    await addModel(dir, "Qwen3-1.7B");
    await waitFor("the polled model", () => registry.size === 1);
  } finally {
    await watcher.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("live models folder e2e: /v1/models, /api/tags and `models` follow the folder; the loaded model stays", async () => {
  const server = await startLiveServer({ "Qwen3-1.7B": "Qwen3-1.7B-w8a8-rk3588.rkllm" }, {
    watch: { debounceMs: 200 },
  });
  const dir = server.dir;
  const mockLog = join(dir, "mock-calls.log");
  const ids = async (path: string, key: "data" | "models", field: "id" | "name") => {
    const body = await (await fetch(server.url + path)).json();
    return (body[key] as Record<string, string>[]).map((m) => m[field]).sort();
  };
  const chat = async () => {
    const res = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "qwen3-1.7b", messages: [{ role: "user", content: "Hi" }] }),
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
  };
  try {
    await withEnv({ RKLLM_MOCK_LOG: mockLog, RKLLM_MOCK_TOKENS: "4" }, async () => {
      await chat();
      await addModel(dir, "Phi-3-Mini-4K-Instruct");
      await waitFor(
        "the new model in /v1/models",
        async () => (await ids("/v1/models", "data", "id")).includes("phi-3-mini-4k-instruct"),
      );
      assert.deepEqual(await ids("/api/tags", "models", "name"), [
        "phi-3-mini-4k-instruct",
        "qwen3-1.7b",
      ]);

      const cli = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", join(ROOT, "main.ts"), "models", "--models", dir],
        stdout: "piped",
        stderr: "null",
      }).output();
      assert.match(new TextDecoder().decode(cli.stdout), /^phi-3-mini-4k-instruct\s/m);

      await Deno.rename(join(dir, "Phi-3-Mini-4K-Instruct"), join(dir, "Phi-Renamed"));
      await waitFor(
        "the rename",
        async () =>
          JSON.stringify(await ids("/v1/models", "data", "id")) ===
            JSON.stringify(["phi-renamed", "qwen3-1.7b"]),
      );
      await Deno.remove(join(dir, "Phi-Renamed"), { recursive: true });
      await waitFor(
        "the removal",
        async () => (await ids("/api/tags", "models", "name")).join() === "qwen3-1.7b",
      );

      // The loaded model was never touched: still loaded, and it answers without a reload.
      const ps = await (await fetch(`${server.url}/api/ps`)).json();
      assert.deepEqual(ps.models.map((m: { name: string }) => m.name), ["qwen3-1.7b"]);
      await chat();
      const log = await readMockLog(mockLog);
      assert.equal(log.filter((l) => l.fn === "rkllm_init").length, 1, "loaded once");
      assert.equal(log.filter((l) => l.fn === "rkllm_destroy").length, 0, "never unloaded");
    });
  } finally {
    await server.close();
  }
});
