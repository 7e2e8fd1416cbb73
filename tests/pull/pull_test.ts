import assert from "node:assert/strict";
import { join } from "node:path";
import { dfFreeBytes, freeBytes, statfsFreeBytes } from "../../src/models/pull/disk_space.ts";
import {
  ChecksumMismatchError,
  DiskFullError,
  HubForbiddenError,
  HubNotFoundError,
  HubUnauthorizedError,
  HubUnavailableError,
  InsufficientSpaceError,
  ModelFolderConflictError,
} from "../../src/models/pull/errors.ts";
import {
  PULL_RECORD_FILE,
  type PullEvent,
  pullModel,
  type PullOptions,
} from "../../src/models/pull/pull.ts";
import { bytesOf, type FakeHubOptions, sha256Hex, startFakeHub } from "./fake_hub.ts";

const MODEL = bytesOf(200_000, 1);
const ENCODER = bytesOf(30_000, 2);
const CONFIG = new TextEncoder().encode('{"context_length": 8192}\n');
const MODEL_FILE = "Qwen3-1.7B-w8a8-rk3588.rkllm";

function publicRepo() {
  return {
    files: [
      { path: MODEL_FILE, content: MODEL },
      { path: "model_config.json", content: CONFIG },
      { path: "vision-rk3588.rknn", content: ENCODER },
      { path: "README.md", content: new TextEncoder().encode("# hi") },
    ],
  };
}

async function withHub(
  hubOpts: Partial<FakeHubOptions>,
  fn: (
    ctx: { hub: ReturnType<typeof startFakeHub>; dir: string; opts: PullOptions },
  ) => Promise<void>,
): Promise<void> {
  const hub = startFakeHub({ repos: { "o/qwen": publicRepo() }, ...hubOpts });
  const dir = await Deno.makeTempDir();
  try {
    await fn({
      hub,
      dir,
      opts: { modelsDir: dir, endpoint: hub.endpoint, progressIntervalMs: 0, retryDelayMs: 0 },
    });
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function drain(ref: string, opts: PullOptions) {
  const events: PullEvent[] = [];
  const gen = pullModel(ref, opts);
  for (;;) {
    const step = await gen.next();
    if (step.done) return { events, result: step.value };
    events.push(step.value);
  }
}

async function rejects(promise: Promise<unknown>, cls: new (...args: never[]) => Error) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    return err as Error;
  }
  assert.fail(`expected ${cls.name}`);
}

Deno.test("pull: model, config and encoder land verified in <models>/<repo name>", async () => {
  await withHub({ treePageSize: 2 }, async ({ dir, opts }) => {
    const { events, result } = await drain("o/qwen", opts);
    const folder = join(dir, "qwen");
    assert.equal(result.dir, folder);
    assert.deepEqual(await Deno.readFile(join(folder, MODEL_FILE)), MODEL);
    assert.deepEqual(await Deno.readFile(join(folder, "model_config.json")), CONFIG);
    assert.deepEqual(await Deno.readFile(join(folder, "vision-rk3588.rknn")), ENCODER);
    const names = [...Deno.readDirSync(folder)].map((e) => e.name).sort();
    assert.deepEqual(
      names,
      [PULL_RECORD_FILE, MODEL_FILE, "model_config.json", "vision-rk3588.rknn"].sort(),
    );

    const digest = `sha256:${sha256Hex(MODEL)}`;
    assert.deepEqual(events[0], { status: "pulling manifest" });
    const modelEvents = events.filter((e) => e.digest === digest && e.status.startsWith("pulling"));
    assert.equal(modelEvents[0].status, `pulling ${sha256Hex(MODEL).slice(0, 12)}`);
    assert.deepEqual(modelEvents.at(-1), {
      status: modelEvents[0].status,
      digest,
      total: MODEL.length,
      completed: MODEL.length,
    });
    const completed = modelEvents.map((e) => e.completed!);
    assert.deepEqual(completed, [...completed].sort((a, b) => a - b), "progress never goes back");
    assert.ok(events.some((e) => e.status === "pulling model_config.json"));
    assert.ok(events.some((e) => e.status === "verifying sha256 digest" && e.digest === digest));
    assert.deepEqual(events.slice(-2), [{ status: "writing manifest" }, { status: "success" }]);

    const record = JSON.parse(await Deno.readTextFile(join(folder, PULL_RECORD_FILE)));
    assert.equal(record.repo, "o/qwen");
    assert.equal(record.files[0].sha256, sha256Hex(MODEL));
  });
});

Deno.test("pull: LFS downloads follow the redirect; the token is sent to the Hub", async () => {
  await withHub({ token: "hf_good" }, async ({ hub, opts }) => {
    await drain("o/qwen", { ...opts, token: "hf_good" });
    const cdn = hub.requests.filter((r) => r.path.startsWith("/cdn/"));
    assert.equal(cdn.length, 2, "model and encoder via the CDN");
    assert.ok(
      hub.requests.filter((r) => r.path.startsWith("/api/")).every((r) =>
        r.authorization === "Bearer hf_good"
      ),
    );
  });
});

Deno.test("pull: a connection dropped mid-file is resumed with Range and verified", async () => {
  await withHub(
    { drop: { path: MODEL_FILE, bytes: 70_000, times: 2 } },
    async ({ hub, dir, opts }) => {
      await drain("o/qwen", opts);
      assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
      const ranges = hub.requests.filter((r) =>
        r.path.endsWith(MODEL_FILE) && r.path.startsWith("/cdn/")
      )
        .map((r) => r.range);
      assert.deepEqual(ranges, [null, "bytes=70000-", "bytes=140000-"]);
    },
  );
});

Deno.test("pull: an interrupted pull leaves a partial that the next pull resumes", async () => {
  await withHub(
    { drop: { path: MODEL_FILE, bytes: 50_000, times: 1 } },
    async ({ hub, dir, opts }) => {
      const err = await rejects(drain("o/qwen", { ...opts, maxAttempts: 1 }), HubUnavailableError);
      assert.match(err.message, /50000 of 200000 bytes kept/);
      const partial = join(dir, "qwen", `${MODEL_FILE}.partial`);
      assert.equal((await Deno.stat(partial)).size, 50_000);
      await assert.rejects(Deno.stat(join(dir, "qwen", MODEL_FILE)), Deno.errors.NotFound);

      await drain("o/qwen", opts);
      assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
      await assert.rejects(Deno.stat(partial), Deno.errors.NotFound);
      assert.equal(
        hub.requests.filter((r) => r.path.startsWith("/cdn/") && r.path.endsWith(MODEL_FILE)).at(-1)
          ?.range,
        "bytes=50000-",
      );
    },
  );
});

Deno.test("pull: a server answering 200 to a Range request restarts the file cleanly", async () => {
  await withHub({ ignoreRange: true }, async ({ dir, opts }) => {
    await Deno.mkdir(join(dir, "qwen"));
    await Deno.writeFile(join(dir, "qwen", `${MODEL_FILE}.partial`), MODEL.slice(0, 1000));
    await drain("o/qwen", opts);
    assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
  });
});

Deno.test("pull: a partial holding wrong bytes fails the hash check and is removed", async () => {
  await withHub({}, async ({ dir, opts }) => {
    await Deno.mkdir(join(dir, "qwen"));
    const partial = join(dir, "qwen", `${MODEL_FILE}.partial`);
    await Deno.writeFile(partial, bytesOf(1000, 9));
    await rejects(drain("o/qwen", opts), ChecksumMismatchError);
    await assert.rejects(Deno.stat(partial), Deno.errors.NotFound);
    await drain("o/qwen", opts); // starts clean and succeeds
    assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
  });
});

Deno.test("pull: a published sha256 that does not match refuses the file", async () => {
  const repo = publicRepo();
  repo.files[0] = {
    path: MODEL_FILE,
    content: MODEL,
    publishedSha256: "ab".repeat(32),
  } as typeof repo.files[0];
  await withHub({ repos: { "o/qwen": repo } }, async ({ dir, opts }) => {
    const err = await rejects(drain("o/qwen", opts), ChecksumMismatchError);
    assert.match(err.message, /expected sha256:abab/);
    const left = [...Deno.readDirSync(join(dir, "qwen"))].map((e) => e.name);
    assert.deepEqual(left, [], "neither the file nor its partial is kept");
  });
});

Deno.test("pull: a complete partial is renamed, a complete file reused, without re-downloading", async () => {
  await withHub({}, async ({ hub, dir, opts }) => {
    await Deno.mkdir(join(dir, "qwen"));
    await Deno.writeFile(join(dir, "qwen", `${MODEL_FILE}.partial`), MODEL);
    await Deno.writeFile(join(dir, "qwen", "vision-rk3588.rknn"), ENCODER);
    await drain("o/qwen", opts);
    assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
    assert.equal(hub.requests.filter((r) => r.path.startsWith("/cdn/")).length, 0);
  });
});

Deno.test("pull: not enough free space is refused before any transfer", async () => {
  await withHub({}, async ({ hub, dir, opts }) => {
    const err = await rejects(
      drain("o/qwen", { ...opts, freeBytes: () => Promise.resolve(100_000) }),
      InsufficientSpaceError,
    );
    assert.match(err.message, /needs 230\.\d+ KB, 100\.0 KB are free/);
    assert.equal(hub.requests.filter((r) => r.path.includes("resolve")).length, 0);
    await assert.rejects(Deno.stat(join(dir, "qwen")), Deno.errors.NotFound);
  });
});

Deno.test("pull: 401 private repo (no token / wrong token), 403 gated, 404 repo and revision", async () => {
  const repos = {
    "o/private": { ...publicRepo(), access: "private" as const },
    "o/gated": { ...publicRepo(), access: "gated" as const },
  };
  await withHub({ repos, token: "hf_good" }, async ({ opts }) => {
    const anon = await rejects(drain("o/private", opts), HubUnauthorizedError);
    assert.match(anon.message, /set HF_TOKEN/);
    const wrong = await rejects(
      drain("o/private", { ...opts, token: "hf_bad" }),
      HubUnauthorizedError,
    );
    assert.match(wrong.message, /HF_TOKEN given was rejected/);
    const gated = await rejects(drain("o/gated", { ...opts, token: "hf_good" }), HubForbiddenError);
    assert.match(gated.message, /gated: accept its terms/);
    await rejects(drain("o/missing", { ...opts, token: "hf_good" }), HubNotFoundError);
    const rev = await rejects(
      drain("o/private", { ...opts, token: "hf_good", revision: "v9" }),
      HubNotFoundError,
    );
    assert.match(rev.message, /revision/);
  });
});

Deno.test("pull: an unreachable endpoint is a HubUnavailableError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    await rejects(
      drain("o/qwen", { modelsDir: dir, endpoint: `http://127.0.0.1:${port}` }),
      HubUnavailableError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pull: several quants need a selector; the chosen one lands in a folder of its own", async () => {
  const repo = {
    files: [{ path: "q-w8a8.rkllm", content: MODEL }, { path: "q-w4a16.rkllm", content: ENCODER }],
  };
  await withHub({ repos: { "o/multi": repo } }, async ({ dir, opts }) => {
    const { result } = await drain("o/multi:w4a16", opts);
    assert.equal(result.name, "q-w4a16");
    assert.deepEqual(await Deno.readFile(join(dir, "q-w4a16", "q-w4a16.rkllm")), ENCODER);
  });
});

Deno.test("pull: a folder already holding another model is refused", async () => {
  await withHub({}, async ({ dir, opts }) => {
    await Deno.mkdir(join(dir, "qwen"));
    await Deno.writeFile(join(dir, "qwen", "other.rkllm"), new Uint8Array(1));
    await rejects(drain("o/qwen", opts), ModelFolderConflictError);
  });
});

Deno.test("freeBytes: measures a folder that does not exist yet at its ancestor", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const here = await freeBytes(dir);
    assert.ok(here > 0);
    assert.ok(await freeBytes(join(dir, "not", "yet")) > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pull: cancelling a slow transfer keeps the partial; the next pull resumes it", async () => {
  await withHub({ chunkDelayMs: 5 }, async ({ hub, dir, opts }) => {
    const controller = new AbortController();
    const partial = join(dir, "qwen", `${MODEL_FILE}.partial`);
    const gen = pullModel("o/qwen", { ...opts, signal: controller.signal });
    await assert.rejects(async () => {
      for await (const event of gen) {
        if (event.completed !== undefined && event.completed >= 40_000) controller.abort();
      }
    });
    const kept = (await Deno.stat(partial)).size;
    assert.ok(kept >= 40_000 && kept < MODEL.length, `kept ${kept}`);

    await drain("o/qwen", opts);
    assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
    const last = hub.requests.filter((r) =>
      r.path.startsWith("/cdn/") && r.path.endsWith(MODEL_FILE)
    ).at(-1);
    assert.equal(last?.range, `bytes=${kept}-`);
  });
});

Deno.test("pull: progress events of a file are throttled, the last one always sent", async () => {
  await withHub({}, async ({ opts }) => {
    const { events } = await drain("o/qwen", { ...opts, progressIntervalMs: 60_000 });
    const model = events.filter((e) => e.total === MODEL.length);
    assert.deepEqual(model.map((e) => e.completed), [0, MODEL.length]);
  });
});

Deno.test("pull: a 416 to a resume request restarts the file from the start", async () => {
  await withHub({}, async ({ hub, dir, opts }) => {
    await Deno.mkdir(join(dir, "qwen"));
    await Deno.writeFile(join(dir, "qwen", `${MODEL_FILE}.partial`), MODEL.slice(0, 5000));
    let refused = 0;
    const fetch416: typeof fetch = (input, init) => {
      const range = new Headers(init?.headers).get("range");
      if (range !== null && refused++ === 0) {
        return Promise.resolve(new Response(null, { status: 416 }));
      }
      return fetch(input, init);
    };
    await drain("o/qwen", { ...opts, fetch: fetch416 });
    assert.equal(refused, 1);
    assert.deepEqual(await Deno.readFile(join(dir, "qwen", MODEL_FILE)), MODEL);
    const model = hub.requests.filter((r) =>
      r.path.startsWith("/cdn/") && r.path.endsWith(MODEL_FILE)
    );
    assert.deepEqual(model.map((r) => r.range), [null]);
  });
});

/** /dev/full fails every write with ENOSPC; Deno lets only --allow-all open devices. */
async function canOpenDevFull(): Promise<boolean> {
  try {
    (await Deno.open("/dev/full", { write: true })).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "pull: running out of space while writing is a DiskFullError",
  ignore: !(await canOpenDevFull()),
  fn: async () => {
    await withHub({}, async ({ dir, opts }) => {
      await Deno.mkdir(join(dir, "qwen"));
      await Deno.symlink("/dev/full", join(dir, "qwen", `${MODEL_FILE}.partial`));
      const err = await rejects(drain("o/qwen", opts), DiskFullError);
      assert.match(err.message, /No space left while writing/);
    });
  },
});

const statfsAllowed =
  (await Deno.permissions.query({ name: "sys", kind: "statfs" as "hostname" })).state === "granted";

Deno.test({
  name: "freeBytes: statfs and df agree (within 1 %: other writers share the disk)",
  ignore: !statfsAllowed || Deno.build.os === "windows",
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const viaStatfs = await statfsFreeBytes(dir);
      const viaDf = await dfFreeBytes(dir);
      assert.ok(Math.abs(viaStatfs - viaDf) <= viaStatfs / 100, `${viaStatfs} vs ${viaDf}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
