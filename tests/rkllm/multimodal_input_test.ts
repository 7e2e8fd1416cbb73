/**
 * The multimodal RKLLMInput for both ABIs: offsets against the C probe, and a real run on the
 * mock runtime with embeddings from the mock vision encoder, read back from the mock's call log
 * (what crossed the boundary: image count, tokens, sizes, marker strings, embedding hashes).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  encodeMultimodalInput,
  MULTIMODAL_LAYOUTS,
  type MultimodalAbi,
  type MultimodalValues,
  PARAM_IMAGE_TAGS,
  writeParamImageTags,
} from "../../src/rkllm/multimodal_input.ts";
import { RknnVisionBackend } from "../../src/rkllm/rknn/encoder.ts";
import {
  encodeCallbackStruct,
  encodeInferParam,
  encodeParam,
  type KeepAlive,
} from "../../src/rkllm/structs.ts";
import { ABI_VERSIONS, runtimeVersion } from "../../src/rkllm/versions.ts";
import { mockLibrary, mockProbe, readMockLog, ROOT } from "../support/mock.ts";

const ABIS: readonly MultimodalAbi[] = ABI_VERSIONS;
const TAGS = { start: "<|vision_start|>", end: "<|vision_end|>", content: "<|image_pad|>" };

async function probe(abi: MultimodalAbi): Promise<Record<string, Record<string, number>>> {
  const out = await new Deno.Command(mockProbe(abi)).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).structs;
}

for (const abi of ABIS) {
  Deno.test(`multimodal RKLLMInput offsets for ABI ${abi} match the C probe`, async () => {
    const c = await probe(abi);
    for (const [field, offset] of Object.entries(MULTIMODAL_LAYOUTS[abi])) {
      assert.equal(offset, c.RKLLMInput[field], `RKLLMInput.${field}`);
    }
    if (abi === "1.2.3") {
      for (const [field, offset] of Object.entries(PARAM_IMAGE_TAGS["1.2.3"])) {
        assert.equal(offset, c.RKLLMParam[field], `RKLLMParam.${field}`);
      }
    } else {
      assert.equal(c.RKLLMParam.img_start, undefined);
    }
  });
}

Deno.test("encodeMultimodalInput() refuses values the runtime would misread", async (t) => {
  const base: MultimodalValues = {
    role: "user",
    enableThinking: false,
    prompt: "<image>\nhi",
    embeddings: new Float32Array(6),
    nImages: 1,
    nImageTokens: 3,
    width: 8,
    height: 8,
    tags: TAGS,
  };
  await t.step("valid", () => assert.equal(encodeMultimodalInput("1.3.0", base).input.length, 160));
  await t.step("tag count differs from nImages", () => {
    assert.throws(
      () => encodeMultimodalInput("1.2.3", { ...base, prompt: "hi" }),
      /0 <image> tags for 1/,
    );
  });
  await t.step("embeddings do not split into images × tokens", () => {
    assert.throws(
      () => encodeMultimodalInput("1.2.3", { ...base, embeddings: new Float32Array(7) }),
      /do not split/,
    );
  });
});

const CALLBACK = { parameters: ["pointer", "pointer", "i32"], result: "i32" } as const;
const RUN_NORMAL = 0;

/** One init + one multimodal run on the mock runtime; returns the run's text. */
function runOnMock(abi: MultimodalAbi, values: MultimodalValues, dir: string): string {
  const lib = Deno.dlopen(mockLibrary(abi), {
    rkllm_init: { parameters: ["buffer", "buffer", "pointer"], result: "i32" },
    rkllm_run: { parameters: ["pointer", "buffer", "buffer", "pointer"], result: "i32" },
    rkllm_destroy: { parameters: ["pointer"], result: "i32" },
  });
  let text = "";
  const callback = new Deno.UnsafeCallback(CALLBACK, (result, _ud, state) => {
    if (state === RUN_NORMAL && result) {
      const ptr = new Deno.UnsafePointerView(result).getPointer(0);
      if (ptr) text += Deno.UnsafePointerView.getCString(ptr);
    }
    return 0;
  });
  try {
    const layout = runtimeVersion(abi).layout;
    const keep: KeepAlive = [];
    const modelPath = join(dir, "model.rkllm");
    Deno.writeTextFileSync(modelPath, "mock\n");
    const param = encodeParam(layout, {
      modelPath,
      contextLength: 4096,
      maxNewTokens: 8,
      sampling: {
        topK: 1,
        topP: 0.9,
        temperature: 0.8,
        repeatPenalty: 1.1,
        frequencyPenalty: 0,
        presencePenalty: 0,
      },
      cpuMask: 0xf0,
      baseDomainId: 1,
      embedFlash: false,
    }, keep);
    writeParamImageTags(abi, param, TAGS, keep);
    const cb = abi === "1.2.3" ? callback.pointer : Deno.UnsafePointer.of(
      encodeCallbackStruct(layout, BigInt(Deno.UnsafePointer.value(callback.pointer))),
    );
    const handle = new BigUint64Array(1);
    assert.equal(lib.symbols.rkllm_init(new Uint8Array(handle.buffer), param, cb), 0);
    const h = Deno.UnsafePointer.create(handle[0]);
    const { input } = encodeMultimodalInput(abi, values);
    const infer = encodeInferParam(layout, { mode: 0, keepHistory: false }, keep);
    assert.equal(lib.symbols.rkllm_run(h, input, infer, null), 0);
    assert.equal(lib.symbols.rkllm_destroy(h), 0);
    return text;
  } finally {
    callback.close();
    lib.close();
  }
}

for (const abi of ABIS) {
  Deno.test(`a two-image turn from the mock encoder reaches runtime ${abi} intact`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "rkllm-mm-" });
    const log = join(dir, "rkllm.jsonl");
    const env = {
      RKNN_MOCK_INPUT: "8x8x3",
      RKNN_MOCK_IMAGE_TOKENS: "4",
      RKLLM_MOCK_EMBED_DIM: "16",
      RKLLM_MOCK_LOG: log,
      RKLLM_MOCK_IMAGE_TEXT: "1",
      RKLLM_MOCK_IMAGE_CHECK: "strict",
    };
    for (const [k, v] of Object.entries(env)) Deno.env.set(k, v);
    const backend = RknnVisionBackend.open(join(ROOT, "build", "mock", "rknn", "librknnrt.so"));
    try {
      const encoder = await backend.load(new TextEncoder().encode("encoder"));
      const red = await encoder.encode(new Uint8Array(8 * 8 * 3).fill(200));
      const blue = await encoder.encode(new Uint8Array(8 * 8 * 3).fill(30));
      await encoder.destroy();
      const values = (first: Float32Array, second: Float32Array): MultimodalValues => {
        const embeddings = new Float32Array(first.length * 2);
        embeddings.set(first);
        embeddings.set(second, first.length);
        return {
          role: "user",
          enableThinking: false,
          prompt: "<image><image>\nWhich is warmer?",
          embeddings,
          nImages: 2,
          nImageTokens: encoder.nTokens,
          width: encoder.input.width,
          height: encoder.input.height,
          tags: TAGS,
        };
      };
      const a = runOnMock(abi, values(red, blue), dir);
      const b = runOnMock(abi, values(blue, red), dir);
      assert.notEqual(a, b, "the answer depends on the images");
      const starts = (await readMockLog(log)).filter((l) => l.event === "run_start");
      assert.equal(starts.length, 2);
      const mm = starts[0].multimodal as Record<string, unknown>;
      assert.deepEqual(
        [
          mm.n_image,
          mm.n_image_tokens,
          mm.image_width,
          mm.image_height,
          mm.image_tags,
          mm.image_tags_match,
          mm.image_embed_floats,
        ],
        [2, 4, 8, 8, 2, true, 2 * 4 * 16],
      );
      assert.deepEqual([mm.image_start_used, mm.image_end_used, mm.image_content_used], [
        TAGS.start,
        TAGS.end,
        TAGS.content,
      ]);
      const swapped = (starts[1].multimodal as Record<string, unknown>).image_hashes as string[];
      assert.deepEqual(swapped, [...(mm.image_hashes as string[])].reverse());
    } finally {
      backend.close();
      for (const k of Object.keys(env)) Deno.env.delete(k);
      await Deno.remove(dir, { recursive: true });
    }
  });
}
