/**
 * Byte layouts of librknnrt.so's structs (RKNN API 2.x, LP64) and their encoders/decoders.
 *
 * Offsets are named in the shape the C probe prints (`tests/mock/rknn_probe.c`, compiled from
 * the declarations of Rockchip's public rknn_api.h): a test compares every entry with it.
 * Encoders start from zeroed buffers. Part of src/rkllm: the only code that handles pointers.
 */
import { pointerValue } from "../structs.ts";
import type { EncoderInput } from "./vision_encoder.ts";

export const RKNN_LAYOUT = {
  rknn_input_output_num: { __size: 8, n_input: 0, n_output: 4 },
  rknn_tensor_attr: {
    __size: 376,
    index: 0,
    n_dims: 4,
    dims: 8,
    name: 72,
    n_elems: 328,
    size: 332,
    fmt: 336,
    type: 340,
    qnt_type: 344,
    fl: 348,
    zp: 352,
    scale: 356,
    w_stride: 360,
    size_with_stride: 364,
    pass_through: 368,
    h_stride: 372,
  },
  rknn_input: { __size: 32, index: 0, buf: 8, size: 16, pass_through: 20, type: 24, fmt: 28 },
  rknn_output: { __size: 24, want_float: 0, is_prealloc: 1, index: 4, buf: 8, size: 16 },
  rknn_sdk_version: { __size: 512, api_version: 0, drv_version: 256 },
} as const;

export const QueryCmd = { IN_OUT_NUM: 0, INPUT_ATTR: 1, OUTPUT_ATTR: 2 } as const;

/** `rknn_tensor_type` values the server hands pixels over in. */
const TENSOR_TYPE: Record<EncoderInput["type"], number> = { float32: 0, float16: 1, uint8: 3 };
const TENSOR_FORMAT: Record<EncoderInput["layout"], number> = { NCHW: 0, NHWC: 1 };
const RKNN_TENSOR_FLOAT32 = 0;
const RKNN_TENSOR_FLOAT16 = 1;
const RKNN_TENSOR_NCHW = 0;
const MAX_DIMS = 16;

export interface TensorAttr {
  index: number;
  dims: number[];
  name: string;
  /** rknn_tensor_format: 0 NCHW, 1 NHWC, 2 NC1HWC2, 3 undefined. */
  fmt: number;
  /** rknn_tensor_type: 0 float32, 1 float16, 2 int8, 3 uint8, … */
  type: number;
  nElems: number;
}

const A = RKNN_LAYOUT.rknn_tensor_attr;

/** A zeroed `rknn_tensor_attr` with `index` set, for RKNN_QUERY_INPUT_ATTR / OUTPUT_ATTR. */
export function attrQuery(index: number): Uint8Array<ArrayBuffer> {
  const buf = new Uint8Array(A.__size);
  new DataView(buf.buffer).setUint32(A.index, index, true);
  return buf;
}

export function decodeAttr(buf: Uint8Array<ArrayBuffer>): TensorAttr {
  const view = new DataView(buf.buffer);
  const n = Math.min(view.getUint32(A.n_dims, true), MAX_DIMS);
  const dims = Array.from({ length: n }, (_, i) => view.getUint32(A.dims + 4 * i, true));
  const nameBytes = buf.subarray(A.name, A.n_elems);
  const end = nameBytes.indexOf(0);
  return {
    index: view.getUint32(A.index, true),
    dims,
    name: new TextDecoder().decode(nameBytes.subarray(0, end < 0 ? nameBytes.length : end)),
    fmt: view.getInt32(A.fmt, true),
    type: view.getInt32(A.type, true),
    nElems: view.getUint32(A.n_elems, true),
  };
}

/**
 * The tensor the server feeds for a model input. Pixels go in the model's own layout and type
 * where the server can produce them; otherwise (int8, NC1HWC2) as uint8 NHWC, which the runtime
 * converts because `pass_through` stays off. A dynamic size (reported as 0) takes `size`.
 * Null when the input is not an image tensor.
 */
export function encoderInput(
  attr: TensorAttr,
  size?: { width: number; height: number },
): EncoderInput | null {
  const d = attr.dims;
  if (d.length !== 4) return null;
  const nchw = attr.fmt === RKNN_TENSOR_NCHW;
  let [channels, height, width] = nchw ? [d[1], d[2], d[3]] : [d[3], d[1], d[2]];
  if (size && (width === 0 || height === 0)) ({ width, height } = size);
  if (channels !== 3 || !(width > 0) || !(height > 0)) return null;
  return {
    width,
    height,
    channels,
    layout: nchw ? "NCHW" : "NHWC",
    type: attr.type === RKNN_TENSOR_FLOAT32
      ? "float32"
      : attr.type === RKNN_TENSOR_FLOAT16
      ? "float16"
      : "uint8",
  };
}

/** One `rknn_input` (index 0, pass_through off) pointing at `tensor`; keep `tensor` alive. */
export function encodeInput(
  tensor: Uint8Array<ArrayBuffer>,
  input: EncoderInput,
): Uint8Array<ArrayBuffer> {
  const t = RKNN_LAYOUT.rknn_input;
  const buf = new Uint8Array(t.__size);
  const view = new DataView(buf.buffer);
  view.setUint32(t.index, 0, true);
  view.setBigUint64(t.buf, pointerValue(tensor), true);
  view.setUint32(t.size, tensor.length, true);
  view.setUint8(t.pass_through, 0);
  view.setInt32(t.type, TENSOR_TYPE[input.type], true);
  view.setInt32(t.fmt, TENSOR_FORMAT[input.layout], true);
  return buf;
}

/** `n` `rknn_output`s asking for float32 data the runtime allocates (freed by release). */
export function encodeOutputs(n: number): Uint8Array<ArrayBuffer> {
  const t = RKNN_LAYOUT.rknn_output;
  const buf = new Uint8Array(t.__size * n);
  const view = new DataView(buf.buffer);
  for (let i = 0; i < n; i++) {
    view.setUint8(i * t.__size + t.want_float, 1);
    view.setUint32(i * t.__size + t.index, i, true);
  }
  return buf;
}

/** Copies output `i`'s floats out of runtime memory (valid until rknn_outputs_release). */
export function copyOutput(outputs: Uint8Array<ArrayBuffer>, i: number): Float32Array<ArrayBuffer> {
  const t = RKNN_LAYOUT.rknn_output;
  const view = new DataView(outputs.buffer);
  const ptr = Deno.UnsafePointer.create(view.getBigUint64(i * t.__size + t.buf, true));
  const size = view.getUint32(i * t.__size + t.size, true);
  if (ptr === null || size === 0) return new Float32Array(0);
  return new Float32Array(Deno.UnsafePointerView.getArrayBuffer(ptr, size).slice(0));
}
