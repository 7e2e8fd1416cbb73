/**
 * The multimodal RKLLMInput for both ABIs: where the fields and the image markers go is read from
 * the version registry (its layouts are checked against the C probe by structs_test.ts), values
 * the runtime would misread are refused, and a real `run()` with images from the mock vision
 * encoder reaches the mock runtime intact, read back from its call log (image count, tokens,
 * sizes, marker strings, embedding hashes).
 */
import assert from "node:assert/strict";
import { DEFAULT_SAMPLING } from "../../src/models/sampling.ts";
import { encodeMultimodalInput } from "../../src/rkllm/multimodal_input.ts";
import type { ImageTags, NpuEvent, NpuImages } from "../../src/rkllm/npu.ts";
import { RkllmBackend } from "../../src/rkllm/runtime.ts";
import { ABI_VERSIONS, RUNTIME_VERSIONS, runtimeVersion } from "../../src/rkllm/versions.ts";
import {
  makeModelsDir,
  mockLibrary,
  mockRknnLibrary,
  readMockLog,
  withEnv,
} from "../support/mock.ts";
import { join } from "node:path";

const TAGS: ImageTags = {
  start: "<|vision_start|>",
  end: "<|vision_end|>",
  content: "<|image_pad|>",
};

Deno.test("the image markers' place in each layout agrees with its imageStrings capability", () => {
  for (const v of RUNTIME_VERSIONS) {
    const atInit = v.layout.RKLLMParam.img_start !== undefined;
    const perInput = v.layout.RKLLMInput["multimodal_input.image.image_start"] !== undefined;
    assert.equal(v.capabilities.imageStrings, atInit ? "init" : "input", v.abi);
    assert.equal(atInit, !perInput, `${v.abi}: markers in exactly one place`);
  }
});

const VALUES = { role: "user", enableThinking: false, prompt: "<image>\nhi" };
const IMAGES: NpuImages = {
  embeddings: new Float32Array(6),
  count: 1,
  tokensPerImage: 3,
  width: 8,
  height: 8,
  tags: TAGS,
};

Deno.test("encodeMultimodalInput() writes each ABI's fields and refuses what the runtime would misread", async (t) => {
  for (const abi of ABI_VERSIONS) {
    await t.step(
      `ABI ${abi}: fields at the layout's offsets, markers only where they belong`,
      () => {
        const version = runtimeVersion(abi);
        const keep: Uint8Array<ArrayBuffer>[] = [];
        const buf = encodeMultimodalInput(version, VALUES, IMAGES, keep);
        const t = version.layout.RKLLMInput;
        const view = new DataView(buf.buffer);
        const at = abi === "1.2.3" ? "multimodal_input." : "multimodal_input.image.";
        assert.equal(buf.length, t.__size);
        assert.equal(view.getInt32(t.input_type, true), 3);
        assert.equal(view.getBigUint64(t[`${at}n_image`], true), 1n);
        assert.equal(view.getBigUint64(t[`${at}n_image_tokens`], true), 3n);
        assert.equal(view.getBigUint64(t[`${at}image_width`], true), 8n);
        // role, prompt, embeddings (+ three markers per input in 1.3.0) stay referenced.
        assert.equal(keep.length, abi === "1.2.3" ? 3 : 6);
        assert.ok(keep.some((b) => b.buffer === IMAGES.embeddings.buffer), "embeddings kept");
      },
    );
  }
  const version = runtimeVersion("1.3.0");
  const refused: [string, Partial<NpuImages>, string, RegExp][] = [
    ["placeholder count differs from count", {}, "hi", /0 <image> placeholders for 1/],
    ["embeddings do not split", { embeddings: new Float32Array(7) }, VALUES.prompt, /split/],
    ["no embeddings", { embeddings: new Float32Array(0) }, VALUES.prompt, /split/],
  ];
  for (const [name, over, prompt, message] of refused) {
    await t.step(name, () => {
      assert.throws(
        () => encodeMultimodalInput(version, { ...VALUES, prompt }, { ...IMAGES, ...over }, []),
        message,
      );
    });
  }
});

async function textOf(events: ReadableStream<NpuEvent>): Promise<string> {
  let text = "";
  for await (const e of events) if (e.type === "text") text += e.text;
  return text;
}

for (const abi of ABI_VERSIONS) {
  Deno.test(`[ABI ${abi}] a two-image turn from the mock encoder reaches the runtime intact`, async () => {
    const dir = await makeModelsDir({ vl: "vl.rkllm" });
    const log = join(dir, "rkllm.jsonl");
    const backend = await RkllmBackend.open(mockLibrary(abi), "auto", {
      rknnLibPath: mockRknnLibrary(),
    });
    try {
      await withEnv({
        RKNN_MOCK_INPUT: "8x8x3",
        RKNN_MOCK_IMAGE_TOKENS: "4",
        RKLLM_MOCK_EMBED_DIM: "16",
        RKLLM_MOCK_LOG: log,
        RKLLM_MOCK_IMAGE_TEXT: "1",
        RKLLM_MOCK_IMAGE_CHECK: "strict",
        // The runtime reads the embeddings after a while: they must still be there.
        RKLLM_MOCK_PREFILL_MS: "30",
        RKLLM_MOCK_TOKENS: "6",
      }, async () => {
        const encoderPath = join(dir, "vl", "vision.rknn");
        await Deno.writeTextFile(encoderPath, "mock encoder\n");
        const encoder = await backend.loadVisionEncoder(encoderPath);
        const red = await encoder.encode(new Uint8Array(8 * 8 * 3).fill(200));
        const blue = await encoder.encode(new Uint8Array(8 * 8 * 3).fill(30));
        await encoder.destroy();
        const model = await backend.load({
          modelPath: join(dir, "vl", "vl.rkllm"),
          contextLength: 4096,
          maxNewTokens: 8,
          sampling: { ...DEFAULT_SAMPLING },
          cpuMask: 0xf0,
          baseDomainId: 0,
          embedFlash: false,
          imageTags: TAGS,
        });
        const ask = async (first: Float32Array, second: Float32Array): Promise<string> => {
          const embeddings = new Float32Array(first.length * 2);
          embeddings.set(first);
          embeddings.set(second, first.length);
          const run = model.run({
            prompt: "<image><image>\nWhich is warmer?",
            role: "user",
            enableThinking: false,
            keepHistory: false,
            images: {
              embeddings,
              count: 2,
              tokensPerImage: encoder.nTokens,
              width: encoder.input.width,
              height: encoder.input.height,
              tags: TAGS,
            },
          });
          const text = await textOf(run.events);
          await run.settled;
          return text;
        };
        try {
          const a = await ask(red, blue);
          const b = await ask(blue, red);
          assert.notEqual(a, b, "the answer depends on the images");
        } finally {
          await model.destroy();
        }
      });
      const lines = await readMockLog(log);
      const init = lines.find((l) => l.fn === "rkllm_init")!.params as Record<string, unknown>;
      // 1.2.3 takes the markers at init; 1.3.0 has no such fields.
      assert.equal(init.img_start, abi === "1.2.3" ? TAGS.start : undefined);
      const starts = lines.filter((l) => l.event === "run_start");
      assert.equal(starts.length, 2);
      const mm = starts[0].multimodal as Record<string, unknown>;
      assert.equal(starts[0].input_type_name, "multimodal");
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
      await Deno.remove(dir, { recursive: true });
    }
  });
}
