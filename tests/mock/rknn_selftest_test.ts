/**
 * Self-test of the mock librknnrt.so (tests/mock/README.md, "Mock librknnrt.so") through minimal
 * local FFI bindings: the probe's layout, the query results, deterministic pixel-derived
 * embeddings and the failure knobs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const dir = join(root, "build", "mock", "rknn");
const build = new Deno.Command("sh", { args: [join(root, "tests", "mock", "build.sh")] })
  .outputSync();
if (!build.success) throw new Error(new TextDecoder().decode(build.stderr));

const lib = Deno.dlopen(join(dir, "librknnrt.so"), {
  rknn_init: { parameters: ["buffer", "buffer", "u32", "u32", "pointer"], result: "i32" },
  rknn_destroy: { parameters: ["u64"], result: "i32" },
  rknn_query: { parameters: ["u64", "i32", "buffer", "u32"], result: "i32" },
  rknn_inputs_set: { parameters: ["u64", "u32", "buffer"], result: "i32" },
  rknn_run: { parameters: ["u64", "pointer"], result: "i32" },
  rknn_outputs_get: { parameters: ["u64", "u32", "buffer", "pointer"], result: "i32" },
  rknn_outputs_release: { parameters: ["u64", "u32", "buffer"], result: "i32" },
  rknn_set_core_mask: { parameters: ["u64", "i32"], result: "i32" },
});

const probe = JSON.parse(
  new TextDecoder().decode(new Deno.Command(join(dir, "probe")).outputSync().stdout),
);
const ATTR = probe.structs.rknn_tensor_attr;
const INPUT = probe.structs.rknn_input;
const OUTPUT = probe.structs.rknn_output;
const KNOBS = ["RKNN_MOCK_INPUT", "RKNN_MOCK_LAYOUT", "RKNN_MOCK_FAIL", "RKNN_MOCK_FAIL_INIT"];

function init(): bigint {
  const model = new TextEncoder().encode("mock vision encoder");
  const ctx = new BigUint64Array(1);
  assert.equal(lib.symbols.rknn_init(new Uint8Array(ctx.buffer), model, model.length, 0, null), 0);
  return ctx[0];
}

function query(ctx: bigint, cmd: number): DataView {
  const buf = new Uint8Array(ATTR.__size);
  assert.equal(lib.symbols.rknn_query(ctx, cmd, buf, buf.length), 0);
  return new DataView(buf.buffer);
}

function dims(attr: DataView): number[] {
  const n = attr.getUint32(ATTR.n_dims, true);
  return Array.from({ length: n }, (_, i) => attr.getUint32(ATTR.dims + 4 * i, true));
}

/** Runs the encoder on `pixels` (uint8) and returns the embeddings, or the failing call's code. */
function encode(ctx: bigint, pixels: Uint8Array<ArrayBuffer>): Float32Array | number {
  const input = new Uint8Array(INPUT.__size);
  const dv = new DataView(input.buffer);
  dv.setBigUint64(INPUT.buf, BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(pixels))), true);
  dv.setUint32(INPUT.size, pixels.length, true);
  dv.setInt32(INPUT.type, 3, true); // RKNN_TENSOR_UINT8
  dv.setInt32(INPUT.fmt, 1, true); // RKNN_TENSOR_NHWC
  let ret = lib.symbols.rknn_inputs_set(ctx, 1, input);
  if (ret !== 0) return ret;
  ret = lib.symbols.rknn_run(ctx, null);
  if (ret !== 0) return ret;
  const output = new Uint8Array(OUTPUT.__size);
  ret = lib.symbols.rknn_outputs_get(ctx, 1, output, null);
  if (ret !== 0) return ret;
  const odv = new DataView(output.buffer);
  const ptr = Deno.UnsafePointer.create(odv.getBigUint64(OUTPUT.buf, true))!;
  const size = odv.getUint32(OUTPUT.size, true);
  const floats = new Float32Array(Deno.UnsafePointerView.getArrayBuffer(ptr, size).slice(0));
  assert.equal(lib.symbols.rknn_outputs_release(ctx, 1, output), 0);
  return floats;
}

function withEnv(env: Record<string, string>, fn: () => void) {
  for (const k of KNOBS) Deno.env.delete(k);
  for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
  try {
    fn();
  } finally {
    for (const k of KNOBS) Deno.env.delete(k);
  }
}

Deno.test("rknn probe: the layout the header pins", () => {
  assert.deepEqual([ATTR.__size, ATTR.name, ATTR.n_elems, ATTR.fmt, ATTR.size_with_stride], [
    376,
    72,
    328,
    336,
    364,
  ]);
  assert.deepEqual([INPUT.__size, INPUT.buf, INPUT.fmt, OUTPUT.__size, OUTPUT.buf], [
    32,
    8,
    28,
    24,
    8,
  ]);
});

Deno.test("rknn mock: default NHWC 448x448x3 uint8 in, 196 x 64 float32 out", () => {
  withEnv({}, () => {
    const ctx = init();
    const io = new DataView(new Uint8Array(8).buffer);
    assert.equal(lib.symbols.rknn_query(ctx, 0, new Uint8Array(io.buffer), 8), 0);
    assert.deepEqual([io.getUint32(0, true), io.getUint32(4, true)], [1, 1]);
    const input = query(ctx, 1);
    assert.deepEqual(dims(input), [1, 448, 448, 3]);
    assert.equal(input.getInt32(ATTR.fmt, true), 1);
    assert.equal(input.getInt32(ATTR.type, true), 3);
    assert.equal(input.getUint32(ATTR.size, true), 448 * 448 * 3);
    assert.deepEqual(dims(query(ctx, 2)), [1, 196, 64]);
    assert.equal(lib.symbols.rknn_set_core_mask(ctx, 7), 0);
    assert.equal(lib.symbols.rknn_set_core_mask(ctx, 9), -5);
    assert.equal(lib.symbols.rknn_destroy(ctx), 0);
    assert.equal(lib.symbols.rknn_destroy(ctx), -7);
  });
});

Deno.test("rknn mock: embeddings follow the pixels", () => {
  withEnv({ RKNN_MOCK_INPUT: "8x8x3" }, () => {
    const ctx = init();
    const a = encode(ctx, new Uint8Array(8 * 8 * 3).fill(10));
    const b = encode(ctx, new Uint8Array(8 * 8 * 3).fill(10));
    const c = encode(ctx, new Uint8Array(8 * 8 * 3).fill(11));
    assert.ok(a instanceof Float32Array && a.length === 196 * 64);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.equal(encode(ctx, new Uint8Array(10)), -8, "wrong input size");
    lib.symbols.rknn_destroy(ctx);
  });
});

Deno.test("rknn mock: layout and failure knobs", () => {
  withEnv({ RKNN_MOCK_LAYOUT: "NCHW", RKNN_MOCK_INPUT: "4x6x3" }, () => {
    const ctx = init();
    assert.deepEqual(dims(query(ctx, 1)), [1, 3, 4, 6]);
    lib.symbols.rknn_destroy(ctx);
  });
  withEnv({ RKNN_MOCK_FAIL_INIT: "1" }, () => {
    const ctx = new BigUint64Array(1);
    const model = new Uint8Array(4);
    assert.equal(lib.symbols.rknn_init(new Uint8Array(ctx.buffer), model, 4, 0, null), -1);
  });
  for (
    const [where, code] of [["inputs_set", -1], ["run", -1], ["timeout", -2], [
      "outputs_get",
      -1,
    ]] as const
  ) {
    withEnv({ RKNN_MOCK_INPUT: "2x2x3", RKNN_MOCK_FAIL: where }, () => {
      const ctx = init();
      assert.equal(encode(ctx, new Uint8Array(12)), code, where);
      lib.symbols.rknn_destroy(ctx);
    });
  }
});

Deno.test("rknn cleanup", () => lib.close());
