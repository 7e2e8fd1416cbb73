/**
 * What a model can do, guessed from its id (as the Python server this project replaces did), and whether
 * its chat template pre-opens the `<think>` block.
 *
 * Pure: imports nothing. `model_config.json` overrides are passed in by the caller (discovery).
 */

export const THINKING = "thinking";
export const INSTRUCT = "instruct";
export const OCR = "ocr";
export const VISION = "vl";
export const BASE = "base";

/** First matching rule wins; order matters (`qwen3-vl` must not reach the qwen3 thinking rule). */
const RULES: ReadonlyArray<readonly [pattern: RegExp, capabilities: readonly string[]]> = [
  // Qwen3 "Instruct-2507" releases dropped the thinking mode (their "Thinking-2507" siblings
  // always think); the hybrid Qwen3 models keep it.
  [/qwen3.*instruct-2507/, [INSTRUCT]],
  [/qwen3(?!.*vl)/, [THINKING, INSTRUCT]],
  [/deepseek.*r\d/, [THINKING, INSTRUCT]],
  [/qwq/, [THINKING, INSTRUCT]],
  // The reference spells it `deepseekocr`; ids turn `_` into `-`, so accept one dash too.
  [/deepseek-?ocr/, [INSTRUCT, OCR]],
  [/internvl/, [INSTRUCT]],
  [/minicpm/, [INSTRUCT]],
  [/qwen.*vl/, [INSTRUCT]],
  [/qwen2/, [INSTRUCT]],
  [/phi/, [INSTRUCT]],
  [/gemma/, [INSTRUCT]],
  [/llama/, [INSTRUCT]],
  [/mi[sx]tral/, [INSTRUCT]],
  [/chatglm/, [INSTRUCT]],
  [/\byi\b/, [INSTRUCT]],
  // Generic chat-tuned markers; `it` must be a whole dash-part so `-italian` is not "instruct".
  [/instruct|(?:^|-)it(?:-|$)/, [INSTRUCT]],
];

export interface CapabilityOptions {
  /** The model folder holds a vision encoder (`.rknn`): adds `vl`. */
  hasVisionEncoder?: boolean;
  /** `model_config.json` `capabilities`: replaces detection entirely. */
  override?: readonly string[];
}

/** Capabilities of model `id`, e.g. `["thinking", "instruct"]`; `["base"]` when nothing matches. */
export function detectCapabilities(id: string, opts: CapabilityOptions = {}): string[] {
  if (opts.override !== undefined) return normalise(opts.override);
  const lower = id.toLowerCase();
  const rule = RULES.find(([pattern]) => pattern.test(lower));
  const detected = rule === undefined ? [BASE] : [...rule[1]];
  if (opts.hasVisionEncoder === true) detected.push(VISION);
  return detected;
}

/** Only models that advertise `thinking` get the runtime's thinking mode switched on. */
export function supportsThinking(capabilities: readonly string[]): boolean {
  return capabilities.includes(THINKING);
}

/**
 * True for Qwen3 "thinking-2507"-style ids: their chat template already opens `<think>`, so the
 * model emits only the closing tag and the think parser must start inside the block.
 */
export function thinkPrefilled(id: string): boolean {
  return id.toLowerCase().includes("thinking");
}

/** Config-supplied lists: lower-case, trimmed, no empties or repeats, original order. */
function normalise(capabilities: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of capabilities) {
    const c = raw.trim().toLowerCase();
    if (c !== "" && !out.includes(c)) out.push(c);
  }
  return out;
}
