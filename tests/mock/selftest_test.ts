/**
 * Self-test of the mock runtime's optional knobs (tests/mock/README.md), through minimal local
 * FFI bindings to the 1.2.3 build. Each knob is checked against its default, so the test fails
 * when a knob stops changing behaviour or a default drifts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const libPath = join(root, "build", "mock", "v1.2.3", "librkllmrt.so");

const build = new Deno.Command("sh", { args: [join(root, "tests", "mock", "build.sh")] })
  .outputSync();
if (!build.success) throw new Error(new TextDecoder().decode(build.stderr));

const lib = Deno.dlopen(libPath, {
  rkllm_createDefaultParam: { parameters: [], result: { struct: Array(26).fill("u64") } },
  rkllm_init: { parameters: ["buffer", "buffer", "function"], result: "i32" },
  rkllm_run: { parameters: ["pointer", "buffer", "buffer", "pointer"], result: "i32" },
  rkllm_run_async: { parameters: ["pointer", "buffer", "buffer", "pointer"], result: "i32" },
  rkllm_abort: { parameters: ["pointer"], result: "i32" },
  rkllm_is_running: { parameters: ["pointer"], result: "i32" },
  rkllm_destroy: { parameters: ["pointer"], result: "i32" },
  rkllm_clear_kv_cache: { parameters: ["pointer", "i32", "buffer", "buffer"], result: "i32" },
  rkllm_get_kv_cache_size: { parameters: ["pointer", "buffer"], result: "i32" },
  rkllm_load_prompt_cache: { parameters: ["pointer", "buffer"], result: "i32" },
  rkllm_release_prompt_cache: { parameters: ["pointer"], result: "i32" },
  rkllm_set_function_tools: {
    parameters: ["pointer", "buffer", "buffer", "buffer"],
    result: "i32",
  },
});

const CALLBACK = { parameters: ["pointer", "pointer", "i32"], result: "i32" } as const;
const RUN_NORMAL = 0, RUN_FINISH = 2;
const tmp = Deno.makeTempDirSync({ prefix: "rkllm-mock-selftest-" });
const modelPath = join(tmp, "model.rkllm");
Deno.writeTextFileSync(modelPath, "mock\n");
const logPath = join(tmp, "log.jsonl");

function cstr(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0");
}

interface RunOutcome {
  ret: number;
  text: string;
  finished: boolean;
  prefillTokens: number;
  prefillMs: number;
  generateTokens: number;
}

interface RunOptions {
  keepHistory?: 0 | 1;
  savePath?: string;
  /** The callback returns 1 (pause) after this many tokens. */
  pauseAfter?: number;
  /** The callback calls rkllm_abort after this many tokens. */
  abortAfter?: number;
  /** Multimodal input: n_image images of n_tokens x 64 floats each, in `embed`. */
  image?: { embed: Float32Array<ArrayBuffer>; nImage: number; nTokens: number };
}

/** One mock handle with a recording callback (sync runs call it on this thread). */
class MockModel {
  handle: Deno.PointerValue;
  #events: { state: number; text: string; perf: number[] }[] = [];
  #pauseAfter = Infinity;
  #abortAfter = Infinity;
  #tokens = 0;
  #callback: Deno.UnsafeCallback<typeof CALLBACK>;
  #keep: unknown[] = [];

  constructor(withCallback = true) {
    this.#callback = new Deno.UnsafeCallback(
      CALLBACK,
      (result, _ud, state) => {
        const view = new Deno.UnsafePointerView(result!);
        const textPtr = view.getPointer(0);
        const text = textPtr ? Deno.UnsafePointerView.getCString(textPtr) : "";
        const perf = [
          view.getFloat32(48),
          view.getInt32(52),
          view.getFloat32(56),
          view.getInt32(60),
        ];
        this.#events.push({ state, text, perf });
        if (state !== RUN_NORMAL) return 0;
        this.#tokens++;
        if (this.#tokens >= this.#abortAfter) lib.symbols.rkllm_abort(this.handle);
        return this.#tokens >= this.#pauseAfter ? 1 : 0;
      },
    );
    const param = new Uint8Array(lib.symbols.rkllm_createDefaultParam());
    const path = cstr(modelPath);
    this.#keep.push(path);
    const dv = new DataView(param.buffer);
    dv.setBigUint64(0, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(path))), true);
    dv.setInt32(8, 4096, true); // max_context_len
    dv.setInt32(12, 0, true); // max_new_tokens: no cap
    const out = new BigUint64Array(1);
    const ret = lib.symbols.rkllm_init(
      new Uint8Array(out.buffer),
      param,
      withCallback ? this.#callback.pointer : null,
    );
    assert.deepEqual(ret, 0);
    this.handle = Deno.UnsafePointer.create(out[0]);
  }

  #args(prompt: string, opts: RunOptions) {
    const p = cstr(prompt), role = cstr("user");
    const input = new Uint8Array(64);
    const dv = new DataView(input.buffer);
    dv.setBigUint64(0, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(role))), true);
    dv.setInt32(12, opts.image ? 3 : 0, true); // RKLLM_INPUT_MULTIMODAL | RKLLM_INPUT_PROMPT
    dv.setBigUint64(16, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(p))), true);
    if (opts.image) {
      const embed = Deno.UnsafePointer.of(opts.image.embed);
      dv.setBigUint64(24, BigInt(Deno.UnsafePointer.value(embed)), true);
      dv.setBigUint64(32, BigInt(opts.image.nTokens), true);
      dv.setBigUint64(40, BigInt(opts.image.nImage), true);
      dv.setBigUint64(48, 448n, true);
      dv.setBigUint64(56, 448n, true);
    }
    const infer = new Uint8Array(32);
    const idv = new DataView(infer.buffer);
    const keep: unknown[] = [p, role];
    if (opts.savePath) {
      const cache = new Uint8Array(16), path = cstr(opts.savePath);
      const cdv = new DataView(cache.buffer);
      cdv.setInt32(0, 1, true);
      cdv.setBigUint64(8, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(path))), true);
      idv.setBigUint64(16, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(cache))), true);
      keep.push(cache, path);
    }
    idv.setInt32(24, opts.keepHistory ?? 1, true);
    this.#keep.push(...keep);
    return { input, infer };
  }

  run(prompt: string, opts: RunOptions = {}): RunOutcome {
    this.#events = [];
    this.#tokens = 0;
    this.#pauseAfter = opts.pauseAfter ?? Infinity;
    this.#abortAfter = opts.abortAfter ?? Infinity;
    const { input, infer } = this.#args(prompt, opts);
    const ret = lib.symbols.rkllm_run(this.handle, input, infer, null);
    const finish = this.#events.find((e) => e.state === RUN_FINISH);
    return {
      ret,
      text: this.#events.filter((e) => e.state === RUN_NORMAL).map((e) => e.text).join(""),
      finished: finish !== undefined,
      prefillMs: finish?.perf[0] ?? -1,
      prefillTokens: finish?.perf[1] ?? -1,
      generateTokens: finish?.perf[3] ?? -1,
    };
  }

  runAsync(prompt: string): number {
    const { input, infer } = this.#args(prompt, {});
    return lib.symbols.rkllm_run_async(this.handle, input, infer, null);
  }

  kvSize(): number {
    const sizes = new Int32Array(1);
    assert.deepEqual(
      lib.symbols.rkllm_get_kv_cache_size(this.handle, new Uint8Array(sizes.buffer)),
      0,
    );
    return sizes[0];
  }

  clearRange(start: number, end: number): number {
    return lib.symbols.rkllm_clear_kv_cache(
      this.handle,
      0,
      new Uint8Array(new Int32Array([start]).buffer),
      new Uint8Array(new Int32Array([end]).buffer),
    );
  }

  clearAll(): number {
    return lib.symbols.rkllm_clear_kv_cache(this.handle, 0, null, null);
  }

  loadCache(path: string): number {
    return lib.symbols.rkllm_load_prompt_cache(this.handle, cstr(path));
  }

  destroy() {
    assert.deepEqual(lib.symbols.rkllm_destroy(this.handle), 0);
    this.#callback.close();
  }
}

/** The mock's last log record matching `pred`. */
function lastLog(pred: (r: Record<string, unknown>) => boolean): Record<string, unknown> {
  const lines = Deno.readTextFileSync(logPath).trim().split("\n").map((l) => JSON.parse(l));
  const hit = lines.reverse().find(pred);
  assert(hit, "no matching log record");
  return hit;
}
const lastRunEnd = () => lastLog((r) => r.event === "run_end");
function lastRunEndOrClear(): string {
  return String(
    lastLog((r) => r.event === "run_end" || r.fn === "rkllm_clear_kv_cache").context_hash,
  );
}

const KNOBS = [
  "RKLLM_MOCK_KEEP0",
  "RKLLM_MOCK_RANGE_CLEAR",
  "RKLLM_MOCK_PROMPT_CACHE",
  "RKLLM_MOCK_CACHE_SAVES",
  "RKLLM_MOCK_TOOLS_EMPTY",
  "RKLLM_MOCK_HANG",
  "RKLLM_MOCK_FINISH_AFTER_ABORT",
  "RKLLM_MOCK_ABORT_KEEPS",
  "RKLLM_MOCK_PREFILL_TOKEN_US",
  "RKLLM_MOCK_SEED",
  "RKLLM_MOCK_TOKENS",
  "RKLLM_MOCK_IMAGE_TEXT",
  "RKLLM_MOCK_IMAGE_CHECK",
  "RKLLM_MOCK_EMBED_DIM",
];

/** The process environment is shared with later test files: restored in "cleanup". */
const savedEnv = new Map(
  [...KNOBS, "RKLLM_MOCK_LOG"].map((k) => [k, Deno.env.get(k)] as const),
);
Deno.env.set("RKLLM_MOCK_LOG", logPath);

function withEnv(env: Record<string, string>, fn: (m: MockModel) => void) {
  for (const k of KNOBS) Deno.env.delete(k);
  Deno.env.set("RKLLM_MOCK_TOKENS", "8");
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  const m = new MockModel();
  try {
    fn(m);
  } finally {
    m.destroy();
    for (const k of KNOBS) Deno.env.delete(k);
  }
}

/** The mock's text tokenisation: one position per 4 bytes. */
const positions = (s: string) => Math.floor(new TextEncoder().encode(s).length / 4);

const SYSTEM = "You are a helpful assistant on a small board. ";
const TURN1 = SYSTEM + "User: what is a river? Assistant:";

Deno.test("default: prefill_tokens = bytes/4, the cache holds prompt + reply, keep_history=0 clears", () => {
  withEnv({}, (m) => {
    const r = m.run(TURN1);
    assert.deepEqual(r.prefillTokens, positions(TURN1));
    assert.deepEqual(r.generateTokens, 8);
    assert.deepEqual(m.kvSize(), r.prefillTokens + 8);
    const end = lastRunEnd();
    assert.deepEqual(end.prefill_tokens, r.prefillTokens);
    assert.deepEqual(end.kv_before, 0);
    assert.deepEqual(end.kv_len, r.prefillTokens + 8);
    assert.deepEqual(typeof end.context_hash, "string");
    m.run("another question", { keepHistory: 0 });
    assert.deepEqual(m.kvSize(), 0);
  });
});

Deno.test("context_hash is the same for the same history and differs for another", () => {
  let a = "", b = "", c = "";
  withEnv({}, (m) => {
    m.run(TURN1);
    a = lastRunEndOrClear();
  });
  withEnv({}, (m) => {
    m.run(TURN1);
    b = lastRunEndOrClear();
  });
  withEnv({}, (m) => {
    m.run(TURN1 + " x");
    c = lastRunEndOrClear();
  });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("KEEP0=reuse: a full-history keep_history=0 run prefills only the new suffix and leaves the cache as it was", () => {
  withEnv({ RKLLM_MOCK_KEEP0: "reuse" }, (m) => {
    const first = m.run(TURN1);
    const size = m.kvSize();
    const hash = lastRunEndOrClear();
    const suffix = " User: and a stone? Assistant:";
    const r = m.run(TURN1 + first.text + suffix, { keepHistory: 0 });
    assert.deepEqual(r.prefillTokens, positions(suffix));
    assert.deepEqual(lastRunEnd().reused_tokens, size);
    assert.deepEqual(m.kvSize(), size);
    assert.deepEqual(lastRunEndOrClear(), hash);
    // A prompt that does not start with the cache is prefilled in full; the cache still returns.
    const other = "Something else entirely, not the cached chat.";
    assert.deepEqual(m.run(other, { keepHistory: 0 }).prefillTokens, positions(other));
    assert.deepEqual(m.kvSize(), size);
  });
  withEnv({ RKLLM_MOCK_KEEP0: "rollback" }, (m) => {
    const first = m.run(TURN1);
    const size = m.kvSize();
    const full = TURN1 + first.text + " more";
    assert.deepEqual(m.run(full, { keepHistory: 0 }).prefillTokens, positions(full));
    assert.deepEqual(m.kvSize(), size);
  });
});

Deno.test("RANGE_CLEAR=accept removes exactly a paused keep_history=0 task's positions", () => {
  withEnv({ RKLLM_MOCK_RANGE_CLEAR: "accept" }, (m) => {
    m.run(TURN1);
    const size = m.kvSize();
    const hash = lastRunEndOrClear();
    assert.deepEqual(m.clearRange(size, size + 1), -1, "no paused keep_history=0 run yet");
    const task = " Suggest three follow-up questions.";
    const r = m.run(task, { keepHistory: 0, pauseAfter: 3 });
    assert.deepEqual(r.finished, false);
    const paused = m.kvSize();
    assert.deepEqual(paused, size + positions(task) + 3);
    assert.deepEqual(m.clearRange(size, paused), 0);
    assert.deepEqual(m.kvSize(), size);
    assert.deepEqual(lastRunEndOrClear(), hash);
  });
  withEnv({ RKLLM_MOCK_RANGE_CLEAR: "any" }, (m) => {
    m.run(TURN1);
    const size = m.kvSize();
    assert.deepEqual(m.clearRange(2, 5), 0);
    assert.deepEqual(m.kvSize(), size - 3);
  });
  withEnv({ RKLLM_MOCK_RANGE_CLEAR: "refuse" }, (m) => {
    m.run(TURN1);
    m.run(" task", { keepHistory: 0, pauseAfter: 1 });
    const size = m.kvSize();
    assert.deepEqual(m.clearRange(0, 2), -1);
    assert.deepEqual(m.kvSize(), size);
  });
  withEnv({ RKLLM_MOCK_RANGE_CLEAR: "ignore" }, (m) => {
    m.run(TURN1);
    m.run(" task", { keepHistory: 0, pauseAfter: 1 });
    const size = m.kvSize();
    assert.deepEqual(m.clearRange(0, 2), 0);
    assert.deepEqual(m.kvSize(), size);
  });
});

Deno.test("PROMPT_CACHE=restore: a saved cache file is restored exactly; CACHE_SAVES=prompt saves only the prompt", () => {
  const file = join(tmp, "chat.cache");
  withEnv({ RKLLM_MOCK_PROMPT_CACHE: "restore" }, (m) => {
    m.run(TURN1, { savePath: file });
    assert.deepEqual(lastRunEnd().prompt_cache_saved, true);
    const size = m.kvSize();
    const hash = lastRunEndOrClear();
    m.clearAll();
    assert.deepEqual(m.kvSize(), 0);
    assert.deepEqual(m.loadCache(file), 0);
    assert.deepEqual(m.kvSize(), size);
    assert.deepEqual(lastLog((r) => r.fn === "rkllm_load_prompt_cache").context_hash, hash);
    assert.deepEqual(m.loadCache(join(tmp, "missing.cache")), -1);
  });
  withEnv({ RKLLM_MOCK_PROMPT_CACHE: "restore", RKLLM_MOCK_CACHE_SAVES: "prompt" }, (m) => {
    m.run(TURN1, { savePath: file });
    m.clearAll();
    assert.deepEqual(m.loadCache(file), 0);
    assert.deepEqual(m.kvSize(), positions(TURN1));
  });
});

Deno.test("PROMPT_CACHE=prefix|ignore|refuse", () => {
  const file = join(tmp, "prefix.cache");
  withEnv({ RKLLM_MOCK_PROMPT_CACHE: "prefix" }, (m) => {
    m.run(SYSTEM, { savePath: file, keepHistory: 0 });
    assert.deepEqual(m.kvSize(), 0);
    assert.deepEqual(m.loadCache(file), 0);
    assert.deepEqual(m.kvSize(), 0, "prefix mode holds the file; the cache fills at the next run");
    const r = m.run(TURN1);
    assert(r.prefillTokens < positions(TURN1), `prefilled ${r.prefillTokens}`);
    assert.deepEqual(lastRunEnd().reused_tokens, positions(SYSTEM));
    assert.deepEqual(lib.symbols.rkllm_release_prompt_cache(m.handle), 0);
    m.clearAll();
    assert.deepEqual(m.run(TURN1).prefillTokens, positions(TURN1));
  });
  withEnv({ RKLLM_MOCK_PROMPT_CACHE: "ignore" }, (m) => {
    m.run(TURN1, { savePath: file });
    m.clearAll();
    assert.deepEqual(m.loadCache(file), 0);
    assert.deepEqual(m.kvSize(), 0);
  });
  withEnv({ RKLLM_MOCK_PROMPT_CACHE: "refuse" }, (m) => {
    assert.deepEqual(m.loadCache(file), -1);
  });
  withEnv({}, (m) => {
    assert.deepEqual(m.loadCache(join(tmp, "missing.cache")), 0, "default: load is only logged");
  });
});

Deno.test("TOOLS_EMPTY=refuse: empty tool strings return -1, a tools array still works", () => {
  const call = (m: MockModel, tools: string) =>
    lib.symbols.rkllm_set_function_tools(m.handle, cstr(""), cstr(tools), cstr(""));
  withEnv({}, (m) => assert.deepEqual(call(m, ""), 0));
  withEnv({ RKLLM_MOCK_TOOLS_EMPTY: "refuse" }, (m) => {
    assert.deepEqual(call(m, ""), -1);
    assert.deepEqual(call(m, '[{"type":"function"}]'), 0);
  });
});

Deno.test("HANG=stuck: the run ignores rkllm_abort and ends only with rkllm_destroy", async () => {
  for (const k of KNOBS) Deno.env.delete(k);
  Deno.env.set("RKLLM_MOCK_HANG", "stuck");
  const m = new MockModel(false);
  try {
    assert.deepEqual(m.runAsync(TURN1), 0);
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(lib.symbols.rkllm_abort(m.handle), 0);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(lib.symbols.rkllm_is_running(m.handle), 0, "1.2.3: 0 = still running");
  } finally {
    m.destroy();
    Deno.env.delete("RKLLM_MOCK_HANG");
  }
  assert.deepEqual(lastRunEnd().result, "abort");
});

Deno.test("FINISH_AFTER_ABORT: an aborted run still gets FINISH", () => {
  withEnv({}, (m) => {
    const r = m.run(TURN1, { abortAfter: 2 });
    assert.deepEqual(r.finished, false);
  });
  withEnv({ RKLLM_MOCK_FINISH_AFTER_ABORT: "1" }, (m) => {
    const r = m.run(TURN1, { abortAfter: 2 });
    assert.deepEqual(r.finished, true);
    assert.deepEqual(r.generateTokens, 2);
    assert.deepEqual(lastRunEnd().result, "abort");
  });
});

Deno.test("ABORT_KEEPS: all (default) | prompt | none", () => {
  const prompt = positions(TURN1);
  const sizes: Record<string, number> = {};
  for (const mode of ["", "prompt", "none"]) {
    withEnv(mode ? { RKLLM_MOCK_ABORT_KEEPS: mode } : {}, (m) => {
      m.run(TURN1, { abortAfter: 2 });
      sizes[mode || "all"] = m.kvSize();
    });
  }
  assert.deepEqual(sizes, { all: prompt + 2, prompt, none: 0 });
});

Deno.test("PREFILL_TOKEN_US delays prefill per prefilled position, so reuse shows in prefill time", () => {
  withEnv({ RKLLM_MOCK_PREFILL_TOKEN_US: "2000", RKLLM_MOCK_KEEP0: "reuse" }, (m) => {
    const first = m.run(TURN1);
    assert(first.prefillMs >= first.prefillTokens * 2, `prefill ${first.prefillMs} ms`);
    const r = m.run(TURN1 + first.text + " ok", { keepHistory: 0 });
    assert.deepEqual(r.prefillTokens, 1);
    assert(r.prefillMs < first.prefillMs, `${r.prefillMs} vs ${first.prefillMs}`);
  });
});

Deno.test("SEED: output varies with the seed and is the same for the same seed", () => {
  const texts: string[] = [];
  for (const seed of ["", "1", "1", "2"]) {
    withEnv(seed ? { RKLLM_MOCK_SEED: seed } : {}, (m) => texts.push(m.run(TURN1).text));
  }
  assert.deepEqual(texts[1], texts[2]);
  assert.notDeepEqual(texts[0], texts[1]);
  assert.notDeepEqual(texts[1], texts[3]);
});

Deno.test("multimodal: image tokens count into the cache, embeddings identify the image", () => {
  const image = (v: number) => ({
    embed: new Float32Array(2 * 64).fill(v),
    nImage: 1,
    nTokens: 2,
  });
  const prompt = "<image> What is in the picture?";
  const hashes: string[] = [];
  const texts: string[] = [];
  for (const v of [0.5, 0.5, 0.25]) {
    withEnv({}, (m) => {
      const r = m.run(prompt, { image: image(v) });
      assert.deepEqual(r.prefillTokens, positions(prompt) + 2);
      hashes.push(lastRunEndOrClear());
      texts.push(r.text);
    });
  }
  assert.deepEqual(hashes[0], hashes[1]);
  assert.notDeepEqual(hashes[0], hashes[2]);
  assert.deepEqual(texts[0], texts[2], "default: the reply does not depend on the image");
  const start = lastLog((r) => r.event === "run_start");
  const mm = start.multimodal as Record<string, unknown>;
  assert.deepEqual([mm.image_tags, mm.image_tags_match], [1, true]);
  assert.deepEqual(mm.image_embed_floats, 128);
  assert.deepEqual(mm.n_image, 1);

  const imageTexts: string[] = [];
  for (const v of [0.5, 0.25]) {
    withEnv({ RKLLM_MOCK_IMAGE_TEXT: "1" }, (m) => {
      imageTexts.push(m.run(prompt, { image: image(v) }).text);
    });
  }
  assert.notDeepEqual(imageTexts[0], imageTexts[1]);

  withEnv({ RKLLM_MOCK_IMAGE_CHECK: "strict" }, (m) => {
    assert.deepEqual(m.run("no tag here", { image: image(1) }).ret, -1);
    assert.deepEqual(m.run(prompt, { image: image(1) }).ret, 0);
  });
});

Deno.test("multimodal on ABI 1.3.0: per-input image strings, image tokens in the cache", () => {
  const lib130 = Deno.dlopen(join(root, "build", "mock", "v1.3.0", "librkllmrt.so"), {
    rkllm_createDefaultParam: { parameters: [], result: { struct: Array(23).fill("u64") } },
    rkllm_init: { parameters: ["buffer", "buffer", "buffer"], result: "i32" },
    rkllm_run: { parameters: ["pointer", "buffer", "buffer", "pointer"], result: "i32" },
    rkllm_get_kv_cache_size: { parameters: ["pointer", "buffer"], result: "i32" },
    rkllm_destroy: { parameters: ["pointer"], result: "i32" },
  });
  const addr = (b: Uint8Array<ArrayBuffer> | Float32Array<ArrayBuffer>) =>
    BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(b)));
  let prefill = -1;
  const cb = new Deno.UnsafeCallback(CALLBACK, (result, _ud, state) => {
    if (state === RUN_FINISH) prefill = new Deno.UnsafePointerView(result!).getInt32(52);
    return 0;
  });
  try {
    const param = new Uint8Array(lib130.symbols.rkllm_createDefaultParam());
    const path = cstr(modelPath);
    const pdv = new DataView(param.buffer);
    pdv.setBigUint64(0, addr(path), true);
    pdv.setInt32(8, 4096, true);
    const callbacks = new Uint8Array(48);
    new DataView(callbacks.buffer).setBigUint64(
      0,
      BigInt(Deno.UnsafePointer.value(cb.pointer)),
      true,
    );
    const out = new BigUint64Array(1);
    assert.deepEqual(lib130.symbols.rkllm_init(new Uint8Array(out.buffer), param, callbacks), 0);
    const handle = Deno.UnsafePointer.create(out[0]);

    const prompt = cstr("<image> Describe it."), role = cstr("user");
    const start = cstr("<|vision_start|>");
    const embed = new Float32Array(3 * 64).fill(0.5);
    const input = new Uint8Array(160);
    const dv = new DataView(input.buffer);
    dv.setBigUint64(0, addr(role), true);
    dv.setInt32(12, 3, true); // RKLLM_INPUT_MULTIMODAL
    dv.setBigUint64(16, addr(prompt), true); // multimodal_input.prompt
    dv.setBigUint64(24, addr(embed), true); // .image.image_embed
    dv.setBigUint64(32, 3n, true); // .image.n_image_tokens
    dv.setBigUint64(40, 1n, true); // .image.n_image
    dv.setBigUint64(48, addr(start), true); // .image.image_start
    const infer = new Uint8Array(40);
    new DataView(infer.buffer).setInt32(32, 1, true); // keep_history (1.3.0 offset)
    Deno.env.set("RKLLM_MOCK_TOKENS", "4");
    assert.deepEqual(lib130.symbols.rkllm_run(handle, input, infer, null), 0);
    assert.deepEqual(prefill, positions("<image> Describe it.") + 3);
    const sizes = new Int32Array(1);
    lib130.symbols.rkllm_get_kv_cache_size(handle, new Uint8Array(sizes.buffer));
    assert.deepEqual(sizes[0], prefill + 4);
    const mm = lastLog((r) => r.event === "run_start").multimodal as Record<string, unknown>;
    assert.deepEqual([mm.image_tags_match, mm.image_start_used], [true, "<|vision_start|>"]);
    assert.deepEqual(lib130.symbols.rkllm_destroy(handle), 0);
  } finally {
    Deno.env.delete("RKLLM_MOCK_TOKENS");
    cb.close();
    lib130.close();
  }
});

Deno.test("cleanup", () => {
  lib.close();
  for (const [k, v] of savedEnv) v === undefined ? Deno.env.delete(k) : Deno.env.set(k, v);
  Deno.removeSync(tmp, { recursive: true });
});
