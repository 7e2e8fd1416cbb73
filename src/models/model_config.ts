/**
 * Schema and parser for the optional per-model-folder `model_config.json` sidecar.
 *
 * Keys stay snake_case as in the file; callers map them onto their own fields. Unknown keys are
 * ignored so newer files keep working with older servers. Imports only zod; nothing from src/.
 */

import { z } from "zod";

/** Per-field sampling overrides; ranges reject typos (a `top_p` of 9) rather than tune models. */
export const samplingConfigSchema = z.object({
  top_k: z.number().int().min(0).max(1000).optional(),
  top_p: z.number().min(0).max(1).optional(),
  temperature: z.number().min(0).max(2).optional(),
  repeat_penalty: z.number().positive().max(2).optional(),
  frequency_penalty: z.number().min(-2).max(2).optional(),
  presence_penalty: z.number().min(-2).max(2).optional(),
});

const byte = z.number().int().min(0).max(255);

/**
 * A vision model's encoder settings. The encoder reports its input size and token count itself;
 * `image_tokens` / `image_size` are for encoders converted with a flat output or a dynamic input
 * shape, where it cannot. Marker strings default per model family; the padding is mid grey.
 */
export const visionConfigSchema = z.object({
  /** The `.rknn` file to use when the folder holds several. */
  encoder: z.string().min(1).optional(),
  image_tokens: z.number().int().positive().max(65536).optional(),
  /** The encoder's input side, or [width, height]. */
  image_size: z.union([
    z.number().int().positive().max(8192),
    z.tuple([z.number().int().positive().max(8192), z.number().int().positive().max(8192)]),
  ]).optional(),
  image_start: z.string().optional(),
  image_end: z.string().optional(),
  image_content: z.string().min(1).optional(),
  /** Padding colour [r, g, b] for pad-to-square. */
  background: z.tuple([byte, byte, byte]).optional(),
});

export const modelConfigSchema = z.object({
  context_length: z.number().int().positive().optional(),
  capabilities: z.array(z.string()).optional(),
  sampling: samplingConfigSchema.optional(),
  max_new_tokens: z.number().int().positive().optional(),
  disable_tools: z.boolean().optional(),
  skip_chat: z.boolean().optional(),
  think_prefilled: z.boolean().optional(),
  vision: visionConfigSchema.optional(),
});

export type SamplingConfig = z.infer<typeof samplingConfigSchema>;
export type ModelConfig = z.infer<typeof modelConfigSchema>;
export type VisionConfig = z.infer<typeof visionConfigSchema>;

export interface ParsedModelConfig {
  config?: ModelConfig;
  error?: string;
}

/** Parse the text of a `model_config.json`; problems come back as one readable line. */
export function parseModelConfig(text: string): ParsedModelConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { error: `invalid JSON: ${oneLine(message)}` };
  }
  const result = modelConfigSchema.safeParse(raw);
  if (result.success) return { config: result.data };
  const problems = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.map(String).join(".") : "(top level)";
    return `${where}: ${oneLine(issue.message)}`;
  });
  return { error: problems.join("; ") };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
