import assert from "node:assert/strict";
import { join } from "node:path";
import type { ModelLoadParams, NpuEvent, NpuModel } from "../../src/rkllm/npu.ts";
import { RkllmError } from "../../src/errors.ts";
import { endsInsideCharacter, RkllmBackend } from "../../src/rkllm/runtime.ts";
import { makeModelsDir, mockLibrary, readMockLog, withEnv } from "../support/mock.ts";
import { ABI_VERSIONS, type AbiVersion } from "../../src/rkllm/versions.ts";

const SAMPLING = {
  topK: 1,
  topP: 0.9,
  temperature: 0.8,
  repeatPenalty: 1.1,
  frequencyPenalty: 0,
  presencePenalty: 0,
};

const loadParams = (
  modelPath: string,
  overrides: Partial<ModelLoadParams> = {},
): ModelLoadParams => ({
  modelPath,
  contextLength: 4096,
  maxNewTokens: 512,
  sampling: SAMPLING,
  cpuMask: 0xf0,
  baseDomainId: 0,
  embedFlash: true,
  ...overrides,
});

async function withModel(
  abi: AbiVersion,
  env: Record<string, string>,
  fn: (model: NpuModel, logPath: string) => Promise<void>,
  params: Partial<ModelLoadParams> = {},
): Promise<void> {
  const dir = await makeModelsDir({ m: "m.rkllm" });
  const logPath = join(dir, "mock.log");
  const backend = await RkllmBackend.open(mockLibrary(abi));
  try {
    await withEnv({ RKLLM_MOCK_LOG: logPath, ...env }, async () => {
      const model = await backend.load(loadParams(join(dir, "m", "m.rkllm"), params));
      try {
        await fn(model, logPath);
      } finally {
        await model.destroy();
      }
    });
  } finally {
    backend.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function collect(stream: ReadableStream<NpuEvent>): Promise<NpuEvent[]> {
  const events: NpuEvent[] = [];
  for await (const e of stream) events.push(e);
  return events;
}

function textOf(events: NpuEvent[]): string {
  return events.map((e) => e.type === "text" ? e.text : "").join("");
}

const input = (prompt: string, keepHistory = false) => ({
  prompt,
  role: "user" as const,
  enableThinking: false,
  keepHistory,
});

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] RkllmBackend run() streams tokens then finish with perf, deterministically`, async () => {
    await withModel(abi, { RKLLM_MOCK_TOKENS: "12" }, async (model) => {
      const first = model.run(input("What is the capital of France?"));
      const a = await collect(first.events);
      await first.settled;
      const second = model.run(input("What is the capital of France?"));
      const b = await collect(second.events);
      await second.settled;
      assert.equal(a.filter((e) => e.type === "text").length, 12);
      const last = a.at(-1)!;
      assert.equal(last.type, "finish");
      if (last.type === "finish") {
        assert.equal(last.perf.generateTokens, 12);
        assert.ok(last.perf.prefillTokens >= 1);
      }
      assert.ok(textOf(a).length > 0);
      assert.equal(textOf(a), textOf(b));
    });
  });

  Deno.test(`[ABI ${abi}] RkllmBackend passes init parameters and the prompt through the ABI`, async () => {
    await withModel(abi, {}, async (model, logPath) => {
      const run = model.run({
        prompt: "héllo wörld",
        role: "user",
        enableThinking: true,
        keepHistory: true,
      });
      await collect(run.events);
      await run.settled;
      const log = await readMockLog(logPath);
      const init = log.find((l) => l.fn === "rkllm_init")!;
      const p = init.params as Record<string, number | boolean | string>;
      assert.equal(p.max_context_len, 2048);
      assert.equal(p.max_new_tokens, 100);
      assert.equal(p.top_k, 3);
      assert.equal(p.n_keep, -1);
      assert.ok(Math.abs((p.temperature as number) - 0.8) < 1e-6);
      const ext = p.extend_param as unknown as Record<string, number>;
      assert.equal(ext.enabled_cpus_mask, 0xf0);
      assert.equal(ext.enabled_cpus_num, 4);
      assert.equal(ext.base_domain_id, 1);
      assert.equal(ext.n_batch, 1);
      const start = log.find((l) => l.event === "run_start")!;
      assert.equal(start.prompt, "héllo wörld");
      assert.equal(start.role, "user");
      assert.equal(start.enable_thinking, true);
      assert.equal(start.keep_history, 1);
    }, {
      contextLength: 2048,
      maxNewTokens: 100,
      baseDomainId: 1,
      sampling: { ...SAMPLING, topK: 3 },
    });
  });

  Deno.test(`[ABI ${abi}] RkllmBackend reassembles UTF-8 characters split across callbacks`, async () => {
    const reply = "Zürich — café 日本語 😀 naïve";
    await withModel(abi, { RKLLM_MOCK_REPLY: reply, RKLLM_MOCK_SPLIT_UTF8: "1" }, async (model) => {
      const run = model.run(input("x"));
      const events = await collect(run.events);
      await run.settled;
      assert.equal(textOf(events), reply);
      assert.ok(!textOf(events).includes("\uFFFD"));
    });
  });

  Deno.test(`[ABI ${abi}] RkllmBackend abort() stops a run stuck in prefill and settles`, async () => {
    await withModel(abi, { RKLLM_MOCK_HANG: "1" }, async (model, logPath) => {
      const run = model.run(input("never answers"));
      setTimeout(() => run.abort(), 50);
      const events = await collect(run.events);
      await run.settled;
      assert.deepEqual(events, [{ type: "aborted" }]);
      run.abort(); // idempotent after the end
      const log = await readMockLog(logPath);
      assert.ok(log.some((l) => l.fn === "rkllm_abort"));
      assert.equal(log.find((l) => l.event === "run_end")?.result, "abort");
    });
  });

  Deno.test(`[ABI ${abi}] RkllmBackend cancelling the event stream aborts the run`, async () => {
    await withModel(
      abi,
      { RKLLM_MOCK_TOKENS: "400", RKLLM_MOCK_TOKEN_MS: "5" },
      async (model, logPath) => {
        const run = model.run(input("long"));
        const reader = run.events.getReader();
        await reader.read();
        await reader.cancel();
        await run.settled;
        const end = (await readMockLog(logPath)).find((l) => l.event === "run_end");
        assert.equal(end?.result, "abort");
        assert.ok((end?.tokens ?? 400) < 400);
      },
    );
  });

  Deno.test(`[ABI ${abi}] RkllmBackend reports a runtime error at token N`, async () => {
    await withModel(abi, { RKLLM_MOCK_ERROR_AT: "3" }, async (model) => {
      const run = model.run(input("x"));
      const events = await collect(run.events);
      await run.settled;
      assert.equal(events.filter((e) => e.type === "text").length, 3);
      const last = events.at(-1)!;
      assert.equal(last.type, "error");
      if (last.type === "error") assert.match(last.message, /mock error at token 3/);
    });
  });

  Deno.test(`[ABI ${abi}] RkllmBackend keeps history in the KV cache until cleared`, async () => {
    await withModel(abi, { RKLLM_MOCK_TOKENS: "4" }, async (model, logPath) => {
      for (const p of ["first turn", "second turn"]) {
        const run = model.run(input(p, true));
        await collect(run.events);
        await run.settled;
      }
      await model.clearKvCache(false);
      const log = await readMockLog(logPath);
      const ends = log.filter((l) => l.event === "run_end").map((l) => l.kv_len ?? 0);
      assert.ok(ends[1] > ends[0], `kv grows across turns: ${ends}`);
      assert.equal(log.at(-1)?.fn, "rkllm_clear_kv_cache");
    });
  });

  Deno.test(`[ABI ${abi}] RkllmBackend load() fails with RkllmError for a missing model file`, async () => {
    const backend = await RkllmBackend.open(mockLibrary(abi));
    try {
      await assert.rejects(
        backend.load(loadParams("/nonexistent/model.rkllm")),
        (err: unknown) => err instanceof RkllmError && err.op === "rkllm_init",
      );
    } finally {
      backend.close();
    }
  });

  Deno.test(`[ABI ${abi}] RkllmBackend load() fails when rkllm_init fails`, async () => {
    await assert.rejects(
      withModel(abi, { RKLLM_MOCK_FAIL_INIT: "1" }, () => Promise.resolve()),
      (err: unknown) => err instanceof RkllmError && err.code === -1,
    );
  });

  Deno.test(`[ABI ${abi}] RkllmBackend destroy() during a run aborts it first, then refuses new runs`, async () => {
    const dir = await makeModelsDir({ m: "m.rkllm" });
    const logPath = join(dir, "mock.log");
    const backend = await RkllmBackend.open(mockLibrary(abi));
    try {
      await withEnv({ RKLLM_MOCK_LOG: logPath, RKLLM_MOCK_HANG: "1" }, async () => {
        const model = await backend.load(loadParams(join(dir, "m", "m.rkllm")));
        const run = model.run(input("x"));
        const events = collect(run.events);
        await new Promise((r) => setTimeout(r, 20));
        await model.destroy();
        assert.deepEqual(await events, [{ type: "aborted" }]);
        assert.throws(() => model.run(input("y")), RkllmError);
        const log = await readMockLog(logPath);
        assert.ok(!log.some((l) => l.destroy_while_running === true));
        assert.equal(log.at(-1)?.fn, "rkllm_destroy");
      });
    } finally {
      backend.close();
      await Deno.remove(dir, { recursive: true });
    }
  });

  Deno.test(`[ABI ${abi}] RkllmBackend.open() names the path when the library cannot be loaded`, async () => {
    await assert.rejects(
      RkllmBackend.open("/nonexistent/librkllmrt.so", abi),
      (err: unknown) =>
        err instanceof RkllmError && /nonexistent\/librkllmrt\.so/.test(err.message),
    );
  });

  Deno.test(`[ABI ${abi}] RkllmBackend.open() detects the mock's ABI by the default-parameter probe`, async () => {
    const backend = await RkllmBackend.open(mockLibrary(abi));
    try {
      assert.match(
        backend.description,
        new RegExp(`ABI ${abi.replaceAll(".", "\\.")}, default-parameter probe`),
      );
      assert.equal(backend.perRunSampling, abi === "1.3.0");
    } finally {
      backend.close();
    }
  });

  Deno.test(`[ABI ${abi}] RkllmBackend abort() issued before the native run starts still ends the run`, async () => {
    await withModel(
      abi,
      { RKLLM_MOCK_HANG: "1", RKLLM_MOCK_START_DELAY_MS: "30" },
      async (model) => {
        for (let i = 0; i < 2; i++) {
          const run = model.run(input(`race ${i}`));
          run.abort();
          assert.deepEqual(await collect(run.events), [{ type: "aborted" }]);
          await run.settled;
        }
      },
    );
  });

  Deno.test(`[ABI ${abi}] RkllmBackend kvCacheSize() reports what a keep_history=0 run left behind`, async (t) => {
    for (const [mode, survives] of [["clear", false], ["rollback", true]] as const) {
      await t.step(`runtime reading: ${mode}`, async () => {
        await withModel(abi, { RKLLM_MOCK_TOKENS: "3", RKLLM_MOCK_KEEP0: mode }, async (model) => {
          const first = model.run(input("a conversation turn", true));
          await collect(first.events);
          await first.settled;
          const before = await model.kvCacheSize();
          assert.ok(before !== null && before > 0);
          const task = model.run(input("a background task", false));
          await collect(task.events);
          await task.settled;
          assert.equal(await model.kvCacheSize() === before, survives);
        });
      });
    }
  });
}

const TAGS = { start: "<|vision_start|>", end: "<|vision_end|>", content: "<|image_pad|>" };

/** `count` images of `tokens` rows × 16 floats (the mock's RKLLM_MOCK_EMBED_DIM below). */
const images = (count: number, tokens: number, tags = TAGS) => ({
  embeddings: new Float32Array(count * tokens * 16).fill(0.5),
  count,
  tokensPerImage: tokens,
  width: 8,
  height: 8,
  tags,
});

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] RkllmBackend run() with images prefills their tokens into the KV cache`, async () => {
    await withModel(abi, { RKLLM_MOCK_EMBED_DIM: "16", RKLLM_MOCK_TOKENS: "2" }, async (model) => {
      const prompt = "<image>\nWhat is it?";
      const run = model.run({ ...input(prompt, true), images: images(1, 5) });
      const events = await collect(run.events);
      await run.settled;
      assert.equal(events.at(-1)?.type, "finish");
      // Prompt bytes / 4, plus the image's 5 rows, plus 2 generated tokens.
      assert.equal(await model.kvCacheSize(), Math.floor(prompt.length / 4) + 5 + 2);
    }, { imageTags: TAGS });
  });
}

Deno.test("[ABI 1.2.3] a multimodal run needs the markers the model was loaded with", async (t) => {
  const refused = async (loadTags: typeof TAGS | undefined, runTags: typeof TAGS) => {
    await withModel("1.2.3", { RKLLM_MOCK_EMBED_DIM: "16" }, (model) => {
      assert.throws(
        () => model.run({ ...input("<image>\nhi"), images: images(1, 2, runTags) }),
        (err: unknown) =>
          err instanceof RkllmError && /reads image markers at load/.test(err.message),
      );
      return Promise.resolve();
    }, loadTags ? { imageTags: loadTags } : {});
  };
  await t.step("loaded without markers", () => refused(undefined, TAGS));
  await t.step("loaded with other markers", () => refused({ ...TAGS, content: "<unk>" }, TAGS));
  await t.step("1.3.0 takes them per input", async () => {
    await withModel("1.3.0", { RKLLM_MOCK_EMBED_DIM: "16" }, async (model) => {
      const run = model.run({ ...input("<image>\nhi"), images: images(1, 2) });
      assert.equal((await collect(run.events)).at(-1)?.type, "finish");
      await run.settled;
    });
  });
});

Deno.test("RkllmBackend loadVisionEncoder() names the librknnrt.so it could not load", async () => {
  const backend = await RkllmBackend.open(mockLibrary("1.3.0"), "auto", {
    rknnLibPath: "/nonexistent/librknnrt.so",
  });
  try {
    await assert.rejects(
      backend.loadVisionEncoder("/models/vl/vision.rknn"),
      (err: unknown) =>
        err instanceof RkllmError && /nonexistent\/librknnrt\.so.*rknn_lib_path/.test(err.message),
    );
  } finally {
    backend.close();
  }
});

Deno.test("[ABI 1.3.0] per-run sampling and max_new_tokens reach the runtime", async () => {
  await withModel("1.3.0", { RKLLM_MOCK_TOKENS: "50" }, async (model, logPath) => {
    const run = model.run({
      ...input("sampled"),
      sampling: { ...SAMPLING, topK: 5, temperature: 0.3 },
      maxNewTokens: 3,
    });
    const events = await collect(run.events);
    await run.settled;
    assert.equal(events.filter((e) => e.type === "text").length, 3);
    const start = (await readMockLog(logPath)).find((l) => l.event === "run_start")!;
    const s = start.sampling_params as Record<string, number>;
    assert.equal(s.top_k, 5);
    assert.ok(Math.abs(s.temperature - 0.3) < 1e-6);
    assert.equal(start.max_new_tokens, 3);
  });
});

Deno.test("RkllmBackend hidden mode yields the last token's hidden state", async () => {
  await withModel("1.2.3", {}, async (model, logPath) => {
    const vectors: Float32Array[] = [];
    for (const prompt of ["first text", "first text", "another text entirely"]) {
      const run = model.run({ ...input(prompt), mode: "hidden" });
      const events = await collect(run.events);
      await run.settled;
      const hidden = events.find((e) => e.type === "hidden");
      assert.ok(hidden && hidden.type === "hidden");
      assert.equal(hidden.vector.length, 64);
      assert.ok(hidden.tokens >= 1);
      assert.equal(events.at(-1)?.type, "finish");
      vectors.push(hidden.vector);
    }
    assert.deepEqual(vectors[0], vectors[1], "same text, same vector");
    assert.notDeepEqual(vectors[0], vectors[2]);
    const start = (await readMockLog(logPath)).find((l) => l.event === "run_start")!;
    assert.equal(start.mode, 1);
  });
});

Deno.test("endsInsideCharacter() finds a character cut at the end of a token", async (t) => {
  const enc = new TextEncoder();
  const rows: [string, Uint8Array, boolean][] = [
    ["ASCII", enc.encode("abc"), false],
    ["whole é", enc.encode("café"), false],
    ["é cut after its lead byte", enc.encode("café").subarray(0, 4), true],
    ["whole 😀", enc.encode("😀"), false],
    ["😀 cut after 1, 2, 3 bytes", enc.encode("😀").subarray(0, 3), true],
    ["😀 cut after 2 bytes", enc.encode("😀").subarray(0, 2), true],
    ["a lone continuation byte (already broken)", Uint8Array.of(0x80), false],
    ["empty", new Uint8Array(0), false],
  ];
  for (const [name, bytes, expected] of rows) {
    await t.step(name, () => assert.equal(endsInsideCharacter(bytes), expected));
  }
});

for (const abi of ABI_VERSIONS) {
  Deno.test(`RkllmModel (${abi}): pauseWhen pauses a keep_history=0 run and a range clear removes it`, async () => {
    await withModel(abi, { RKLLM_MOCK_RANGE_CLEAR: "accept" }, async (model) => {
      const history = model.run(input("a conversation held in the cache", true));
      await collect(history.events);
      await history.settled;
      const before = await model.kvCacheSize();
      assert.ok(before && before > 0);
      let seen = 0;
      const task = model.run({ ...input("short task"), pauseWhen: () => ++seen === 3 });
      const events = await collect(task.events);
      await task.settled;
      assert.equal(events.filter((e) => e.type === "text").length, 3, "no token after the pause");
      assert.equal(events.at(-1)?.type, "paused");
      const after = (await model.kvCacheSize())!;
      assert.ok(after > before!, "a paused keep_history=0 run keeps its positions");
      await model.clearKvCacheRange(before!, after);
      assert.equal(await model.kvCacheSize(), before);
      // Outside that window the runtime refuses a range clear: one gate, one typed error.
      const next = model.run(input("another turn", true));
      await collect(next.events);
      await next.settled;
      await assert.rejects(
        model.clearKvCacheRange(0, 1),
        (e: unknown) => e instanceof RkllmError && e.code === -1,
      );
    });
  });

  Deno.test(`RkllmModel (${abi}): a run saves its cache to a file that loads back exactly`, async () => {
    await withModel(abi, { RKLLM_MOCK_PROMPT_CACHE: "restore" }, async (model, logPath) => {
      const file = `${logPath}.kv`;
      const first = model.run({ ...input("remember this conversation", true), saveCacheTo: file });
      await collect(first.events);
      await first.settled;
      const size = await model.kvCacheSize();
      assert.ok((await Deno.stat(file)).size > 0, "the runtime wrote the file");
      await model.clearKvCache(false);
      assert.equal(await model.kvCacheSize(), 0);
      await model.loadPromptCache(file);
      assert.equal(await model.kvCacheSize(), size);
      await model.releasePromptCache();
      await assert.rejects(model.loadPromptCache(`${file}.missing`), RkllmError);
    });
  });
}
