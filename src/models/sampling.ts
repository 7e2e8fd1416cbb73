/**
 * Per-model sampling profile (the Python server's profiles): defaults, a family profile
 * chosen by the longest family name found in the id, then `model_config.json` overrides.
 *
 * Pure. Imports only the sidecar's types and the runtime's sampling type.
 */

import type { SamplingConfig } from "./model_config.ts";
import type { SamplingParams } from "../rkllm/npu.ts";

export type { SamplingParams };

export const DEFAULT_SAMPLING: Readonly<SamplingParams> = Object.freeze({
  topK: 40,
  topP: 0.9,
  temperature: 0.7,
  repeatPenalty: 1.1,
  frequencyPenalty: 0,
  presencePenalty: 0,
});

function profile(
  topK: number,
  topP: number,
  temperature: number,
  repeatPenalty: number,
  frequencyPenalty: number,
  presencePenalty: number,
): Readonly<SamplingParams> {
  return Object.freeze({
    topK,
    topP,
    temperature,
    repeatPenalty,
    frequencyPenalty,
    presencePenalty,
  });
}

/** Family → profile. Longest match wins, so `qwen2.5-coder` beats `qwen2.5`; ties go to the
 * earlier row. */
const FAMILIES: ReadonlyArray<readonly [family: string, params: Readonly<SamplingParams>]> = [
  ["qwen3", profile(20, 0.8, 0.7, 1.1, 0, 1.5)],
  ["gemma", profile(40, 0.95, 0.7, 1.1, 0, 0)],
  ["phi", profile(40, 0.9, 0.6, 1.1, 0, 0)],
  ["deepseek", profile(20, 0.9, 0.6, 1.1, 0, 1.0)],
  ["internvl", profile(20, 0.8, 0.7, 1.1, 0, 1.0)],
  ["qwen2.5-coder", profile(20, 0.95, 0.2, 1.05, 0, 0)],
  ["qwen2.5", profile(40, 0.9, 0.7, 1.1, 0, 0)],
];

/** The sampling family whose name is the longest substring of `id`, if any. */
export function samplingFamily(id: string): string | undefined {
  const lower = id.toLowerCase();
  let best: string | undefined;
  for (const [family] of FAMILIES) {
    if (lower.includes(family) && (best === undefined || family.length > best.length)) {
      best = family;
    }
  }
  return best;
}

/** Sampling parameters for model `id`, with per-field overrides from `model_config.json`. */
export function samplingFor(id: string, overrides: SamplingConfig = {}): SamplingParams {
  const family = samplingFamily(id);
  const base = FAMILIES.find(([name]) => name === family)?.[1] ?? DEFAULT_SAMPLING;
  return {
    topK: overrides.top_k ?? base.topK,
    topP: overrides.top_p ?? base.topP,
    temperature: overrides.temperature ?? base.temperature,
    repeatPenalty: overrides.repeat_penalty ?? base.repeatPenalty,
    frequencyPenalty: overrides.frequency_penalty ?? base.frequencyPenalty,
    presencePenalty: overrides.presence_penalty ?? base.presencePenalty,
  };
}
