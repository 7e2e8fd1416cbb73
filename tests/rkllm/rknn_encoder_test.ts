/**
 * The librknnrt.so binding against the mock (tests/mock/rknn_mock.c): struct layouts against the
 * C probe, the tensor description from rknn_query for each mock layout and type, embeddings that
 * follow the pixels, typed errors from the failure knobs, and no leaked contexts or outputs
 * (read from the mock's call log).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { RkllmError } from "../../src/errors.ts";
import { RknnVisionBackend } from "../../src/rkllm/rknn/encoder.ts";
import { RknnError } from "../../src/rkllm/rknn/errors.ts";
import { openRknnLibrary, type RknnLib } from "../../src/rkllm/rknn/ffi.ts";
import { encoderInput, RKNN_LAYOUT } from "../../src/rkllm/rknn/structs.ts";
import { ROOT } from "../support/mock.ts";

const DIR = join(ROOT, "build", "mock", "rknn");
const LIB = join(DIR, "librknnrt.so");
const KNOBS = [
  "RKNN_MOCK_INPUT",
  "RKNN_MOCK_LAYOUT",
  "RKNN_MOCK_INPUT_TYPE",
  "RKNN_MOCK_IMAGE_TOKENS",
  "RKLLM_MOCK_EMBED_DIM",
  "RKNN_MOCK_FAIL",
  "RKNN_MOCK_FAIL_INIT",
  "RKNN_MOCK_LOG",
];

async function withEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  for (const k of KNOBS) Deno.env.delete(k);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    return await fn();
  } finally {
    for (const k of KNOBS) Deno.env.delete(k);
  }
}

interface LogLine {
  fn: string;
  ctx?: number;
  ret: number;
}

function readLog(path: string): LogLine[] {
  try {
    return Deno.readTextFileSync(path).trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/** Every context that was created was destroyed, and every output fetched was released. */
function assertNoLeaks(log: LogLine[]) {
  const created = log.filter((l) => l.fn === "rknn_init" && l.ret === 0).map((l) => l.ctx).sort();
  const destroyed = log.filter((l) => l.fn === "rknn_destroy" && l.ret === 0).map((l) => l.ctx)
    .sort();
  assert.deepEqual(destroyed, created, "contexts destroyed");
  const got = log.filter((l) => l.fn === "rknn_outputs_get" && l.ret === 0).length;
  const released = log.filter((l) => l.fn === "rknn_outputs_release" && l.ret === 0).length;
  assert.equal(released, got, "outputs released");
}

const tmp = Deno.makeTempDirSync({ prefix: "rknn-test-" });
const MODEL = join(tmp, "vision.rknn");
Deno.writeTextFileSync(MODEL, "mock encoder\n");

Deno.test("rknn struct layouts match the C probe byte for byte", async () => {
  const out = await new Deno.Command(join(DIR, "probe")).output();
  assert.ok(out.success);
  const probe = JSON.parse(new TextDecoder().decode(out.stdout)).structs;
  for (const [struct, table] of Object.entries(RKNN_LAYOUT)) {
    for (const [field, offset] of Object.entries(table)) {
      assert.equal(offset, probe[struct][field], `${struct}.${field}`);
    }
  }
});

Deno.test("RknnVisionBackend.load() describes the encoder from rknn_query", async (t) => {
  const backend = RknnVisionBackend.open(LIB);
  try {
    const rows: Array<[string, Record<string, string>, unknown, number, number]> = [
      [
        "default NHWC uint8",
        {},
        { width: 448, height: 448, channels: 3, layout: "NHWC", type: "uint8" },
        196,
        64,
      ],
      [
        "NCHW float32, 392x392, 196x1536",
        {
          RKNN_MOCK_LAYOUT: "NCHW",
          RKNN_MOCK_INPUT_TYPE: "float32",
          RKNN_MOCK_INPUT: "392x392x3",
          RKLLM_MOCK_EMBED_DIM: "1536",
        },
        { width: 392, height: 392, channels: 3, layout: "NCHW", type: "float32" },
        196,
        1536,
      ],
      [
        "non-square 336x448, 64 tokens",
        { RKNN_MOCK_INPUT: "336x448x3", RKNN_MOCK_IMAGE_TOKENS: "64" },
        { width: 448, height: 336, channels: 3, layout: "NHWC", type: "uint8" },
        64,
        64,
      ],
    ];
    for (const [name, env, input, tokens, dim] of rows) {
      await t.step(name, () =>
        withEnv(env, async () => {
          for (const model of [MODEL, new TextEncoder().encode("encoder bytes")]) {
            const enc = await backend.load(model, { coreMask: 7 });
            assert.deepEqual(enc.input, input);
            assert.deepEqual([enc.nTokens, enc.embedDim, enc.floatsPerImage], [
              tokens,
              dim,
              tokens * dim,
            ]);
            await enc.destroy();
            await enc.destroy(); // idempotent
          }
        }));
    }
  } finally {
    backend.close();
  }
});

Deno.test("load() takes the row count from model_config when the output shape cannot say", async () => {
  const backend = RknnVisionBackend.open(LIB);
  try {
    await withEnv({}, async () => {
      const enc = await backend.load(MODEL, { imageTokens: 98 });
      assert.deepEqual([enc.nTokens, enc.embedDim], [98, 128]);
      await enc.destroy();
      await assert.rejects(backend.load(MODEL, { imageTokens: 100 }), /for 100 image tokens/);
    });
  } finally {
    backend.close();
  }
});

Deno.test("encoderInput() reads NHWC/NCHW, maps types, and sizes a dynamic input", async (t) => {
  const attr = (dims: number[], fmt: number, type: number) => ({
    index: 0,
    dims,
    name: "x",
    fmt,
    type,
    nElems: 0,
  });
  const rows: Array<[string, ReturnType<typeof attr>, unknown]> = [
    ["NHWC uint8", attr([1, 392, 392, 3], 1, 3), {
      width: 392,
      height: 392,
      channels: 3,
      layout: "NHWC",
      type: "uint8",
    }],
    ["NCHW float16", attr([1, 3, 448, 448], 0, 1), {
      width: 448,
      height: 448,
      channels: 3,
      layout: "NCHW",
      type: "float16",
    }],
    ["int8 is fed as uint8", attr([1, 448, 448, 3], 1, 2), {
      width: 448,
      height: 448,
      channels: 3,
      layout: "NHWC",
      type: "uint8",
    }],
    ["dynamic size from the config", attr([1, 0, 0, 3], 1, 0), {
      width: 336,
      height: 336,
      channels: 3,
      layout: "NHWC",
      type: "float32",
    }],
    ["not RGB", attr([1, 448, 448, 1], 1, 3), null],
    ["not an image", attr([1, 196], 1, 3), null],
  ];
  for (const [name, a, expected] of rows) {
    await t.step(
      name,
      () => assert.deepEqual(encoderInput(a, { width: 336, height: 336 }), expected),
    );
  }
});

Deno.test("encode() returns embeddings that follow the pixels, in every input type", async (t) => {
  const backend = RknnVisionBackend.open(LIB);
  try {
    for (const type of ["uint8", "float32"] as const) {
      await t.step(
        type,
        () =>
          withEnv({
            RKNN_MOCK_INPUT: "4x4x3",
            RKNN_MOCK_INPUT_TYPE: type,
            RKNN_MOCK_IMAGE_TOKENS: "5",
            RKLLM_MOCK_EMBED_DIM: "8",
          }, async () => {
            const enc = await backend.load(MODEL);
            const size = 4 * 4 * 3 * (type === "uint8" ? 1 : 4);
            const a = await enc.encode(new Uint8Array(size).fill(1));
            const b = await enc.encode(new Uint8Array(size).fill(1));
            const c = await enc.encode(new Uint8Array(size).fill(2));
            assert.equal(a.length, 40);
            assert.deepEqual(a, b);
            assert.notDeepEqual(a, c);
            assert.ok(a.every((v) => v >= -1 && v < 1));
            await assert.rejects(enc.encode(new Uint8Array(size - 1)), RangeError);
            await enc.destroy();
            await assert.rejects(enc.encode(new Uint8Array(size)), /unloaded/);
          }),
      );
    }
  } finally {
    backend.close();
  }
});

Deno.test("the mock's failure knobs give typed errors and leak nothing", async (t) => {
  const backend = RknnVisionBackend.open(LIB);
  const log = join(tmp, "failures.jsonl");
  try {
    const loadRows: Array<[string, Record<string, string>, string, number | null]> = [
      ["init fails", { RKNN_MOCK_FAIL_INIT: "1" }, "rknn_init", -1],
      [
        "core mask fails: the context is destroyed",
        { RKNN_MOCK_FAIL: "core_mask" },
        "rknn_set_core_mask",
        -1,
      ],
    ];
    for (const [name, env, op, code] of loadRows) {
      await t.step(name, () =>
        withEnv({ ...env, RKNN_MOCK_LOG: log }, async () => {
          await assert.rejects(backend.load(MODEL, { coreMask: 3 }), (err) => {
            assert.ok(err instanceof RknnError && err instanceof RkllmError);
            assert.deepEqual([err.op, err.code], [op, code]);
            assert.match(err.message, /RKNN_ERR_FAIL/);
            return true;
          });
        }));
    }
    await t.step("a missing model file", async () => {
      await assert.rejects(
        backend.load(join(tmp, "missing.rknn")),
        (err) =>
          err instanceof RknnError && err.code === -6 && /RKNN_ERR_MODEL_INVALID/.test(err.message),
      );
    });
    const runRows: Array<[string, string, number]> = [
      ["inputs_set", "rknn_inputs_set", -1],
      ["run", "rknn_run", -1],
      ["timeout", "rknn_run", -2],
      ["outputs_get", "rknn_outputs_get", -1],
    ];
    for (const [knob, op, code] of runRows) {
      await t.step(
        `encode with RKNN_MOCK_FAIL=${knob}`,
        () =>
          withEnv({ RKNN_MOCK_INPUT: "2x2x3", RKNN_MOCK_LOG: log }, async () => {
            const enc = await backend.load(MODEL);
            Deno.env.set("RKNN_MOCK_FAIL", knob);
            await assert.rejects(
              enc.encode(new Uint8Array(12)),
              (err) => err instanceof RknnError && err.op === op && err.code === code,
            );
            Deno.env.delete("RKNN_MOCK_FAIL");
            // The encoder still works after a failed call.
            assert.equal((await enc.encode(new Uint8Array(12))).length, 196 * 64);
            await enc.destroy();
          }),
      );
    }
    assertNoLeaks(readLog(log));
  } finally {
    backend.close();
  }
});

Deno.test("outputs are released even when copying them fails", async () => {
  const log = join(tmp, "copy.jsonl");
  const real = openRknnLibrary(LIB);
  // Wraps the mock: outputs_get reports half the bytes, so the copy's size check throws.
  const lib: RknnLib = {
    path: real.path,
    close: () => real.close(),
    symbols: {
      ...real.symbols,
      rknn_outputs_get: async (ctx, n, outputs, ext) => {
        const ret = await real.symbols.rknn_outputs_get(ctx, n, outputs, ext);
        const view = new DataView((outputs as Uint8Array<ArrayBuffer>).buffer);
        view.setUint32(
          RKNN_LAYOUT.rknn_output.size,
          view.getUint32(RKNN_LAYOUT.rknn_output.size, true) / 2,
          true,
        );
        return ret;
      },
    },
  };
  const backend = new RknnVisionBackend(lib);
  try {
    await withEnv({ RKNN_MOCK_INPUT: "2x2x3", RKNN_MOCK_LOG: log }, async () => {
      const enc = await backend.load(MODEL);
      await assert.rejects(
        enc.encode(new Uint8Array(12)),
        /output 0 has 6272 floats; expected 12544/,
      );
      await enc.destroy();
    });
    const lines = readLog(log);
    assert.deepEqual(lines.map((l) => l.fn).slice(-3), [
      "rknn_outputs_get",
      "rknn_outputs_release",
      "rknn_destroy",
    ]);
    assertNoLeaks(lines);
  } finally {
    backend.close();
  }
});

Deno.test("openRknnLibrary() names the setting when the library is missing", () => {
  assert.throws(
    () => openRknnLibrary(join(tmp, "nope", "librknnrt.so")),
    (err) => err instanceof RknnError && /cannot load/.test(err.message),
  );
  assert.throws(
    () => openRknnLibrary("librknnrt-does-not-exist.so"),
    (err) => err instanceof RknnError && /rknn_lib_path/.test(err.message),
  );
});

Deno.test("rknn test cleanup", () => Deno.removeSync(tmp, { recursive: true }));
