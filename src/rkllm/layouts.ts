/**
 * Byte layouts of the runtime's C structs, one table per ABI: offsets as named constants in the
 * shape the C probe prints (`tests/mock/probe.c`): one table per struct, nested fields
 * dot-joined, `__size` the sizeof. A test compares every entry with the probe compiled from the
 * mock's declarations. The version registry (versions.ts) says which runtime uses which.
 * Imports nothing.
 */

export type Table = Readonly<Record<string, number>>;

export interface AbiLayout {
  /** The ABI name these offsets belong to, as in versions.ts. */
  readonly version: string;
  readonly RKLLMParam: Table;
  readonly RKLLMInput: Table;
  readonly RKLLMInferParam: Table;
  readonly RKLLMResult: Table;
  readonly RKLLMPerfStat: Table;
  readonly RKLLMPromptCacheParam: Table;
  readonly RKLLMSamplingParam?: Table;
  readonly RKLLMCallback?: Table;
}

const EXTEND_PARAM: Table = {
  base_domain_id: 0,
  embed_flash: 4,
  enabled_cpus_num: 5,
  enabled_cpus_mask: 8,
  n_batch: 12,
  use_cross_attn: 13,
  reserved: 14,
};

function nest(prefix: string, base: number, table: Table): Table {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [`${prefix}.${k}`, base + v]));
}

const PARAM_COMMON = {
  model_path: 0,
  max_context_len: 8,
  max_new_tokens: 12,
  top_k: 16,
  n_keep: 20,
  top_p: 24,
  temperature: 28,
  repeat_penalty: 32,
  frequency_penalty: 36,
  presence_penalty: 40,
  mirostat: 44,
  mirostat_tau: 48,
  mirostat_eta: 52,
  skip_special_token: 56,
};

const INPUT_COMMON = {
  role: 0,
  enable_thinking: 8,
  input_type: 12,
  prompt_input: 16,
  embed_input: 16,
  token_input: 16,
  multimodal_input: 16,
};

const PERF_FIELDS: Table = {
  prefill_time_ms: 0,
  prefill_tokens: 4,
  generate_time_ms: 8,
  generate_tokens: 12,
  memory_usage_mb: 16,
};
const PERF: Table = { __size: 20, ...PERF_FIELDS };

const PROMPT_CACHE: Table = { __size: 16, save_prompt_cache: 0, prompt_cache_path: 8 };

const RESULT: Table = {
  __size: 72,
  text: 0,
  token_id: 8,
  last_hidden_layer: 16,
  "last_hidden_layer.hidden_states": 16,
  "last_hidden_layer.embd_size": 24,
  "last_hidden_layer.num_tokens": 28,
  logits: 32,
  "logits.logits": 32,
  "logits.vocab_size": 40,
  "logits.num_tokens": 44,
  perf: 48,
  ...nest("perf", 48, PERF_FIELDS),
};

export const LAYOUT_1_2_3: AbiLayout = {
  version: "1.2.3",
  RKLLMParam: {
    __size: 208,
    ...PARAM_COMMON,
    is_async: 57,
    img_start: 64,
    img_end: 72,
    img_content: 80,
    extend_param: 88,
    ...nest("extend_param", 88, EXTEND_PARAM),
  },
  RKLLMInput: {
    __size: 64,
    ...INPUT_COMMON,
    // A flat struct; the image markers are RKLLMParam.img_*, read at init.
    "multimodal_input.prompt": 16,
    "multimodal_input.image_embed": 24,
    "multimodal_input.n_image_tokens": 32,
    "multimodal_input.n_image": 40,
    "multimodal_input.image_width": 48,
    "multimodal_input.image_height": 56,
  },
  RKLLMInferParam: {
    __size: 32,
    mode: 0,
    lora_params: 8,
    prompt_cache_params: 16,
    keep_history: 24,
  },
  RKLLMResult: RESULT,
  RKLLMPerfStat: PERF,
  RKLLMPromptCacheParam: PROMPT_CACHE,
};

export const LAYOUT_1_3_0: AbiLayout = {
  version: "1.3.0",
  RKLLMParam: {
    __size: 184,
    ...PARAM_COMMON,
    ignore_eos_token: 57,
    is_async: 58,
    extend_param: 60,
    ...nest("extend_param", 60, EXTEND_PARAM),
  },
  RKLLMInput: {
    __size: 160,
    ...INPUT_COMMON,
    // The prompt, then an image struct that carries its markers per input; the video struct
    // after it stays zero.
    "multimodal_input.prompt": 16,
    "multimodal_input.image": 24,
    ...nest("multimodal_input.image", 24, {
      image_embed: 0,
      n_image_tokens: 8,
      n_image: 16,
      image_start: 24,
      image_end: 32,
      image_content: 40,
      image_width: 48,
      image_height: 56,
    }),
    "multimodal_input.video": 88,
  },
  RKLLMInferParam: {
    __size: 40,
    mode: 0,
    lora_params: 8,
    prompt_cache_params: 16,
    sampling_params: 24,
    keep_history: 32,
    max_new_tokens: 36,
  },
  RKLLMResult: RESULT,
  RKLLMPerfStat: PERF,
  RKLLMPromptCacheParam: PROMPT_CACHE,
  RKLLMSamplingParam: {
    __size: 36,
    top_k: 0,
    top_p: 4,
    temperature: 8,
    repeat_penalty: 12,
    frequency_penalty: 16,
    presence_penalty: 20,
    mirostat: 24,
    mirostat_tau: 28,
    mirostat_eta: 32,
  },
  RKLLMCallback: {
    __size: 48,
    result_callback: 0,
    result_userdata: 8,
    tokenizer_callback: 16,
    tokenizer_userdata: 24,
    embed_callback: 32,
    embed_userdata: 40,
  },
};
