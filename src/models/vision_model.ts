/**
 * What the engine needs to run a vision model's image encoder: the `.rknn` file, the marker
 * strings the runtime wraps image tokens in, the pad-to-square colour, and the size overrides
 * from `model_config.json`. Defaults come from the model family, recognised by id.
 *
 * Family values are those of Rockchip's rknn-llm multimodal demo and the models' own processors:
 * Qwen2-VL/2.5-VL/3-VL `<|vision_start|>` `<|image_pad|>`… `<|vision_end|>`; MiniCPM-V `<image>`
 * `<unk>`… `</image>`; InternVL `<img>` `<IMG_CONTEXT>`… `</img>`. Pure; imports only types.
 */
import type { VisionConfig } from "./model_config.ts";

export interface VisionModel {
  /** Absolute path of the `.rknn` encoder. */
  encoderPath: string;
  /** The family whose defaults apply, or "unknown" (Qwen-style markers, as Rockchip's demo). */
  family: string;
  imageStart: string;
  imageEnd: string;
  imageContent: string;
  background: [number, number, number];
  /** Overrides for encoders that cannot report them (see model_config.ts). */
  imageTokens?: number;
  imageSize?: { width: number; height: number };
}

interface FamilyDefaults {
  family: string;
  imageStart: string;
  imageEnd: string;
  imageContent: string;
}

const QWEN_TAGS = {
  imageStart: "<|vision_start|>",
  imageEnd: "<|vision_end|>",
  imageContent: "<|image_pad|>",
};

/** First match wins; ids are lower-case. */
const FAMILIES: ReadonlyArray<readonly [RegExp, FamilyDefaults]> = [
  [/qwen3[-_.]?vl/, { family: "qwen3-vl", ...QWEN_TAGS }],
  [/qwen2\.5[-_.]?vl/, { family: "qwen2.5-vl", ...QWEN_TAGS }],
  [/qwen2[-_.]?vl/, { family: "qwen2-vl", ...QWEN_TAGS }],
  [/minicpm/, {
    family: "minicpm-v",
    imageStart: "<image>",
    imageEnd: "</image>",
    imageContent: "<unk>",
  }],
  [/internvl/, {
    family: "internvl",
    imageStart: "<img>",
    imageEnd: "</img>",
    imageContent: "<IMG_CONTEXT>",
  }],
];

/** Mid grey, as Rockchip's demo pads (127.5 in an 8-bit image). */
const BACKGROUND: [number, number, number] = [128, 128, 128];

/**
 * Cache positions an image is budgeted at while planning, before the encoder says: the
 * configured `image_tokens`, else 256 (a 448-pixel Qwen2.5-VL or InternVL encoder; Qwen2-VL at
 * 392 pixels takes 196, MiniCPM-V 64): more rather than less, so an accepted prompt fits.
 */
export function imageTokensEstimate(vision: VisionModel): number {
  return vision.imageTokens ?? IMAGE_TOKENS_ESTIMATE;
}

const IMAGE_TOKENS_ESTIMATE = 256;

export function visionFamily(id: string): FamilyDefaults | undefined {
  const lower = id.toLowerCase();
  return FAMILIES.find(([pattern]) => pattern.test(lower))?.[1];
}

/** The vision settings of model `id` whose encoder is `encoderPath`; `config` overrides. */
export function resolveVisionModel(
  id: string,
  encoderPath: string,
  config: VisionConfig | undefined,
): VisionModel {
  const family = visionFamily(id) ?? { family: "unknown", ...QWEN_TAGS };
  const out: VisionModel = {
    encoderPath,
    family: family.family,
    imageStart: config?.image_start ?? family.imageStart,
    imageEnd: config?.image_end ?? family.imageEnd,
    imageContent: config?.image_content ?? family.imageContent,
    background: config?.background ?? [...BACKGROUND],
  };
  if (config?.image_tokens !== undefined) out.imageTokens = config.image_tokens;
  const size = config?.image_size;
  if (size !== undefined) {
    out.imageSize = typeof size === "number"
      ? { width: size, height: size }
      : { width: size[0], height: size[1] };
  }
  return out;
}
