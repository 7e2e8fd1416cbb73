/*
 * rkllm.h — declarations of the Rockchip RKLLM runtime C API (librkllmrt.so) as used by the
 * mock library in this folder and by probe.c.
 *
 * Written from the layout tables of the runtime ABI specification the project was given (its
 * section D: struct layouts for runtime 1.2.3 and 1.3.0). Two ABIs are
 * supported and selected at compile time:
 *
 *     -DRKLLM_ABI=123   runtime v1.2.3 (default)
 *     -DRKLLM_ABI=130   runtime v1.3.0
 *
 * Requires C11 (anonymous union inside RKLLMInput, _Static_assert, _Alignof); the real header is
 * C++ and wraps everything in extern "C", as this one does when compiled as C++.
 * The _Static_asserts at the end pin every size, alignment and offset of the spec for LP64
 * targets (x86_64 and aarch64 are identical), so a layout mistake fails the build.
 */
#ifndef RKLLM_MOCK_RKLLM_H
#define RKLLM_MOCK_RKLLM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef RKLLM_ABI
#define RKLLM_ABI 123
#endif

#if RKLLM_ABI != 123 && RKLLM_ABI != 130
#error "RKLLM_ABI must be 123 (runtime v1.2.3) or 130 (runtime v1.3.0)"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- constants --------------------------------------------------------------------------- */

/* Bits for RKLLMExtendParam.enabled_cpus_mask. */
#define CPU0 (1u << 0)
#define CPU1 (1u << 1)
#define CPU2 (1u << 2)
#define CPU3 (1u << 3)
#define CPU4 (1u << 4)
#define CPU5 (1u << 5)
#define CPU6 (1u << 6)
#define CPU7 (1u << 7)

/* Opaque instance handle written by rkllm_init. */
typedef void* LLMHandle;

/* ---- enums (all 4-byte int) -------------------------------------------------------------- */

typedef enum {
    RKLLM_RUN_NORMAL = 0,  /* one token's text in result->text                           */
    RKLLM_RUN_WAITING = 1, /* bytes so far are not a complete UTF-8 character yet        */
    RKLLM_RUN_FINISH = 2,  /* inference done; result->perf is valid only now             */
    RKLLM_RUN_ERROR = 3    /* inference failed; result->text may carry a message         */
} LLMCallState;

typedef enum {
    RKLLM_INPUT_PROMPT = 0,
    RKLLM_INPUT_TOKEN = 1,
    RKLLM_INPUT_EMBED = 2,
    RKLLM_INPUT_MULTIMODAL = 3
} RKLLMInputType;

typedef enum {
    RKLLM_INFER_GENERATE = 0,
    RKLLM_INFER_GET_LAST_HIDDEN_LAYER = 1,
    RKLLM_INFER_GET_LOGITS = 2
} RKLLMInferMode;

/* ---- init-time parameters ---------------------------------------------------------------- */

typedef struct {
    int32_t base_domain_id;     /* IOMMU domain                                               */
    int8_t embed_flash;         /* 1 = embedding table stays in the file instead of RAM       */
    int8_t enabled_cpus_num;    /* number of CPU threads                                       */
    uint32_t enabled_cpus_mask; /* CPU0..CPU7 bits                                             */
    uint8_t n_batch;            /* >1 = batched inference                                      */
    int8_t use_cross_attn;      /* cross-attention decoder                                     */
    uint8_t reserved[104];
} RKLLMExtendParam;

typedef struct {
    const char* model_path;
    int32_t max_context_len;
    int32_t max_new_tokens;
    int32_t top_k;
    int32_t n_keep;
    float top_p;
    float temperature;
    float repeat_penalty;
    float frequency_penalty;
    float presence_penalty;
    int32_t mirostat;
    float mirostat_tau;
    float mirostat_eta;
    bool skip_special_token;
#if RKLLM_ABI == 130
    bool ignore_eos_token; /* new in 1.3.0 */
#endif
    bool is_async;
#if RKLLM_ABI == 123
    const char* img_start; /* removed in 1.3.0 (moved into RKLLMMultiModalInput.image) */
    const char* img_end;
    const char* img_content;
#endif
    RKLLMExtendParam extend_param;
} RKLLMParam;

/* ---- per-run parameters ------------------------------------------------------------------ */

typedef struct {
    const char* lora_adapter_name;
} RKLLMLoraParam;

typedef struct {
    int save_prompt_cache;
    const char* prompt_cache_path;
} RKLLMPromptCacheParam;

#if RKLLM_ABI == 130
typedef struct {
    int32_t top_k;
    float top_p;
    float temperature;
    float repeat_penalty;
    float frequency_penalty;
    float presence_penalty;
    int32_t mirostat;
    float mirostat_tau;
    float mirostat_eta;
} RKLLMSamplingParam;
#endif

typedef struct {
    RKLLMInferMode mode;
    RKLLMLoraParam* lora_params;
    RKLLMPromptCacheParam* prompt_cache_params;
#if RKLLM_ABI == 130
    RKLLMSamplingParam* sampling_params; /* NULL = use the init-time sampling               */
#endif
    int keep_history; /* 1 = keep the turn in the KV cache, 0 = discard it                    */
#if RKLLM_ABI == 130
    int32_t max_new_tokens; /* > 0 overrides the init value for this run                     */
#endif
} RKLLMInferParam;

typedef struct {
    const char* lora_adapter_path;
    const char* lora_adapter_name;
    float scale;
} RKLLMLoraAdapter;

typedef struct {
    float* encoder_k_cache;
    float* encoder_v_cache;
    float* encoder_mask;
    int32_t* encoder_pos;
    int num_tokens;
} RKLLMCrossAttnParam;

/* ---- inputs ------------------------------------------------------------------------------ */

typedef struct {
    float* embed;
    size_t n_tokens;
} RKLLMEmbedInput;

typedef struct {
    int32_t* input_ids;
    size_t n_tokens;
} RKLLMTokenInput;

#if RKLLM_ABI == 123
typedef struct {
    char* prompt;
    float* image_embed;
    size_t n_image_tokens;
    size_t n_image;
    size_t image_width;
    size_t image_height;
} RKLLMMultiModalInput;
#else
typedef struct {
    char* prompt;
    struct {
        float* image_embed;
        size_t n_image_tokens;
        size_t n_image;
        const char* image_start;
        const char* image_end;
        const char* image_content;
        size_t image_width;
        size_t image_height;
    } image;
    struct {
        float* video_embed;
        size_t n_frame_tokens;
        size_t n_frame_per_video;
        size_t n_video;
        const char* video_start;
        const char* video_end;
        const char* video_content;
        size_t frame_width;
        size_t frame_height;
    } video;
} RKLLMMultiModalInput;
#endif

typedef struct {
    const char* role;     /* "user" or "tool"                                                  */
    bool enable_thinking; /* Qwen3 thinking switch, applied through the chat template         */
    RKLLMInputType input_type;
    union {
        const char* prompt_input;
        RKLLMEmbedInput embed_input;
        RKLLMTokenInput token_input;
        RKLLMMultiModalInput multimodal_input;
    };
} RKLLMInput;

/* ---- results ----------------------------------------------------------------------------- */

typedef struct {
    const float* hidden_states; /* num_tokens x embd_size floats                           */
    int embd_size;
    int num_tokens;
} RKLLMResultLastHiddenLayer;

typedef struct {
    const float* logits; /* num_tokens x vocab_size floats                                 */
    int vocab_size;
    int num_tokens;
} RKLLMResultLogits;

typedef struct {
    float prefill_time_ms;
    int prefill_tokens;
    float generate_time_ms;
    int generate_tokens;
    float memory_usage_mb;
} RKLLMPerfStat;

typedef struct {
    const char* text; /* runtime-owned, valid only during the callback                     */
    int32_t token_id;
    RKLLMResultLastHiddenLayer last_hidden_layer;
    RKLLMResultLogits logits;
    RKLLMPerfStat perf; /* valid only with RKLLM_RUN_FINISH                                  */
} RKLLMResult;

/* ---- callbacks --------------------------------------------------------------------------- */

/* Return 0 = continue, 1 = pause (stop now, keep the KV cache), 2 (1.3.0) = release buffers. */
typedef int (*LLMResultCallback)(RKLLMResult* result, void* userdata, LLMCallState state);

#if RKLLM_ABI == 130
typedef int (*LLMGetEmbedCallback)(void* userdata, int32_t* tokens, uint64_t num_tokens,
                                   void* embed, uint64_t len);
typedef int (*LLMTokenizerCallback)(void* userdata, const char* text, int32_t text_len,
                                    int32_t* tokens, int32_t n_tokens_max);

typedef struct {
    LLMResultCallback result_callback;
    void* result_userdata; /* used when rkllm_run's userdata is NULL                        */
    LLMTokenizerCallback tokenizer_callback;
    void* tokenizer_userdata;
    LLMGetEmbedCallback embed_callback;
    void* embed_userdata;
} RKLLMCallback;
#endif

/* ---- functions (the 15 exported names, identical in both versions) ----------------------- */

RKLLMParam rkllm_createDefaultParam(void);
#if RKLLM_ABI == 130
int rkllm_init(LLMHandle* handle, RKLLMParam* param, RKLLMCallback* callback);
#else
int rkllm_init(LLMHandle* handle, RKLLMParam* param, LLMResultCallback callback);
#endif
int rkllm_load_lora(LLMHandle handle, RKLLMLoraAdapter* lora_adapter);
int rkllm_load_prompt_cache(LLMHandle handle, const char* prompt_cache_path);
int rkllm_release_prompt_cache(LLMHandle handle);
int rkllm_destroy(LLMHandle handle);
int rkllm_run(LLMHandle handle, RKLLMInput* rkllm_input, RKLLMInferParam* rkllm_infer_params,
              void* userdata);
int rkllm_run_async(LLMHandle handle, RKLLMInput* rkllm_input,
                    RKLLMInferParam* rkllm_infer_params, void* userdata);
int rkllm_abort(LLMHandle handle);
/* 1.2.3 documents 0 = a task is running, non-zero otherwise; 1.3.0 documents 1 = running. */
int rkllm_is_running(LLMHandle handle);
int rkllm_clear_kv_cache(LLMHandle handle, int keep_system_prompt, int* start_pos, int* end_pos);
int rkllm_get_kv_cache_size(LLMHandle handle, int* cache_sizes);
int rkllm_set_chat_template(LLMHandle handle, const char* system_prompt,
                            const char* prompt_prefix, const char* prompt_postfix);
int rkllm_set_function_tools(LLMHandle handle, const char* system_prompt, const char* tools,
                             const char* tool_response_str);
int rkllm_set_cross_attn_params(LLMHandle handle, RKLLMCrossAttnParam* cross_attn_params);

/* ---- layout checks (numbers from the spec, LP64 only) ------------------------------------ */

#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && \
    (defined(__LP64__) || defined(_LP64))

#define RKLLM_CHECK_SIZE(T, size, align)                                                   \
    _Static_assert(sizeof(T) == (size), #T " must be " #size " bytes");                      \
    _Static_assert(_Alignof(T) == (align), #T " must be aligned to " #align)
#define RKLLM_CHECK_OFF(T, member, off) \
    _Static_assert(offsetof(T, member) == (off), #T "." #member " must be at offset " #off)

/* Identical in both ABIs. */
RKLLM_CHECK_SIZE(RKLLMExtendParam, 120, 4);
RKLLM_CHECK_OFF(RKLLMExtendParam, base_domain_id, 0);
RKLLM_CHECK_OFF(RKLLMExtendParam, embed_flash, 4);
RKLLM_CHECK_OFF(RKLLMExtendParam, enabled_cpus_num, 5);
RKLLM_CHECK_OFF(RKLLMExtendParam, enabled_cpus_mask, 8);
RKLLM_CHECK_OFF(RKLLMExtendParam, n_batch, 12);
RKLLM_CHECK_OFF(RKLLMExtendParam, use_cross_attn, 13);
RKLLM_CHECK_OFF(RKLLMExtendParam, reserved, 14);

RKLLM_CHECK_SIZE(RKLLMEmbedInput, 16, 8);
RKLLM_CHECK_OFF(RKLLMEmbedInput, embed, 0);
RKLLM_CHECK_OFF(RKLLMEmbedInput, n_tokens, 8);

RKLLM_CHECK_SIZE(RKLLMTokenInput, 16, 8);
RKLLM_CHECK_OFF(RKLLMTokenInput, input_ids, 0);
RKLLM_CHECK_OFF(RKLLMTokenInput, n_tokens, 8);

RKLLM_CHECK_SIZE(RKLLMLoraParam, 8, 8);
RKLLM_CHECK_OFF(RKLLMLoraParam, lora_adapter_name, 0);

RKLLM_CHECK_SIZE(RKLLMPromptCacheParam, 16, 8);
RKLLM_CHECK_OFF(RKLLMPromptCacheParam, save_prompt_cache, 0);
RKLLM_CHECK_OFF(RKLLMPromptCacheParam, prompt_cache_path, 8);

RKLLM_CHECK_SIZE(RKLLMLoraAdapter, 24, 8);
RKLLM_CHECK_OFF(RKLLMLoraAdapter, lora_adapter_path, 0);
RKLLM_CHECK_OFF(RKLLMLoraAdapter, lora_adapter_name, 8);
RKLLM_CHECK_OFF(RKLLMLoraAdapter, scale, 16);

RKLLM_CHECK_SIZE(RKLLMResultLastHiddenLayer, 16, 8);
RKLLM_CHECK_OFF(RKLLMResultLastHiddenLayer, hidden_states, 0);
RKLLM_CHECK_OFF(RKLLMResultLastHiddenLayer, embd_size, 8);
RKLLM_CHECK_OFF(RKLLMResultLastHiddenLayer, num_tokens, 12);

RKLLM_CHECK_SIZE(RKLLMResultLogits, 16, 8);
RKLLM_CHECK_OFF(RKLLMResultLogits, logits, 0);
RKLLM_CHECK_OFF(RKLLMResultLogits, vocab_size, 8);
RKLLM_CHECK_OFF(RKLLMResultLogits, num_tokens, 12);

RKLLM_CHECK_SIZE(RKLLMPerfStat, 20, 4);
RKLLM_CHECK_OFF(RKLLMPerfStat, prefill_time_ms, 0);
RKLLM_CHECK_OFF(RKLLMPerfStat, prefill_tokens, 4);
RKLLM_CHECK_OFF(RKLLMPerfStat, generate_time_ms, 8);
RKLLM_CHECK_OFF(RKLLMPerfStat, generate_tokens, 12);
RKLLM_CHECK_OFF(RKLLMPerfStat, memory_usage_mb, 16);

RKLLM_CHECK_SIZE(RKLLMResult, 72, 8);
RKLLM_CHECK_OFF(RKLLMResult, text, 0);
RKLLM_CHECK_OFF(RKLLMResult, token_id, 8);
RKLLM_CHECK_OFF(RKLLMResult, last_hidden_layer, 16);
RKLLM_CHECK_OFF(RKLLMResult, logits, 32);
RKLLM_CHECK_OFF(RKLLMResult, perf, 48);

RKLLM_CHECK_SIZE(RKLLMCrossAttnParam, 40, 8);
RKLLM_CHECK_OFF(RKLLMCrossAttnParam, encoder_k_cache, 0);
RKLLM_CHECK_OFF(RKLLMCrossAttnParam, encoder_v_cache, 8);
RKLLM_CHECK_OFF(RKLLMCrossAttnParam, encoder_mask, 16);
RKLLM_CHECK_OFF(RKLLMCrossAttnParam, encoder_pos, 24);
RKLLM_CHECK_OFF(RKLLMCrossAttnParam, num_tokens, 32);

/* RKLLMParam: fields before extend_param are common except ignore_eos_token/is_async. */
RKLLM_CHECK_OFF(RKLLMParam, model_path, 0);
RKLLM_CHECK_OFF(RKLLMParam, max_context_len, 8);
RKLLM_CHECK_OFF(RKLLMParam, max_new_tokens, 12);
RKLLM_CHECK_OFF(RKLLMParam, top_k, 16);
RKLLM_CHECK_OFF(RKLLMParam, n_keep, 20);
RKLLM_CHECK_OFF(RKLLMParam, top_p, 24);
RKLLM_CHECK_OFF(RKLLMParam, temperature, 28);
RKLLM_CHECK_OFF(RKLLMParam, repeat_penalty, 32);
RKLLM_CHECK_OFF(RKLLMParam, frequency_penalty, 36);
RKLLM_CHECK_OFF(RKLLMParam, presence_penalty, 40);
RKLLM_CHECK_OFF(RKLLMParam, mirostat, 44);
RKLLM_CHECK_OFF(RKLLMParam, mirostat_tau, 48);
RKLLM_CHECK_OFF(RKLLMParam, mirostat_eta, 52);
RKLLM_CHECK_OFF(RKLLMParam, skip_special_token, 56);

/* RKLLMInput: head is common; the union starts at 16 in both. */
RKLLM_CHECK_OFF(RKLLMInput, role, 0);
RKLLM_CHECK_OFF(RKLLMInput, enable_thinking, 8);
RKLLM_CHECK_OFF(RKLLMInput, input_type, 12);
RKLLM_CHECK_OFF(RKLLMInput, prompt_input, 16);
RKLLM_CHECK_OFF(RKLLMInput, embed_input, 16);
RKLLM_CHECK_OFF(RKLLMInput, token_input, 16);
RKLLM_CHECK_OFF(RKLLMInput, multimodal_input, 16);

RKLLM_CHECK_OFF(RKLLMInferParam, mode, 0);
RKLLM_CHECK_OFF(RKLLMInferParam, lora_params, 8);
RKLLM_CHECK_OFF(RKLLMInferParam, prompt_cache_params, 16);

RKLLM_CHECK_OFF(RKLLMMultiModalInput, prompt, 0);

#if RKLLM_ABI == 123
RKLLM_CHECK_SIZE(RKLLMParam, 208, 8);
RKLLM_CHECK_OFF(RKLLMParam, is_async, 57);
RKLLM_CHECK_OFF(RKLLMParam, img_start, 64);
RKLLM_CHECK_OFF(RKLLMParam, img_end, 72);
RKLLM_CHECK_OFF(RKLLMParam, img_content, 80);
RKLLM_CHECK_OFF(RKLLMParam, extend_param, 88);
RKLLM_CHECK_OFF(RKLLMParam, extend_param.n_batch, 100);

RKLLM_CHECK_SIZE(RKLLMMultiModalInput, 48, 8);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image_embed, 8);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, n_image_tokens, 16);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, n_image, 24);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image_width, 32);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image_height, 40);

RKLLM_CHECK_SIZE(RKLLMInput, 64, 8);

RKLLM_CHECK_SIZE(RKLLMInferParam, 32, 8);
RKLLM_CHECK_OFF(RKLLMInferParam, keep_history, 24);
#else
RKLLM_CHECK_SIZE(RKLLMParam, 184, 8);
RKLLM_CHECK_OFF(RKLLMParam, ignore_eos_token, 57);
RKLLM_CHECK_OFF(RKLLMParam, is_async, 58);
RKLLM_CHECK_OFF(RKLLMParam, extend_param, 60);
RKLLM_CHECK_OFF(RKLLMParam, extend_param.n_batch, 72);

RKLLM_CHECK_SIZE(RKLLMMultiModalInput, 144, 8);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image, 8);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.image_embed, 8);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.n_image_tokens, 16);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.n_image, 24);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.image_start, 32);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.image_end, 40);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.image_content, 48);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.image_width, 56);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, image.image_height, 64);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video, 72);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.video_embed, 72);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.n_frame_tokens, 80);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.n_frame_per_video, 88);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.n_video, 96);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.video_start, 104);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.video_end, 112);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.video_content, 120);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.frame_width, 128);
RKLLM_CHECK_OFF(RKLLMMultiModalInput, video.frame_height, 136);

RKLLM_CHECK_SIZE(RKLLMInput, 160, 8);

RKLLM_CHECK_SIZE(RKLLMInferParam, 40, 8);
RKLLM_CHECK_OFF(RKLLMInferParam, sampling_params, 24);
RKLLM_CHECK_OFF(RKLLMInferParam, keep_history, 32);
RKLLM_CHECK_OFF(RKLLMInferParam, max_new_tokens, 36);

RKLLM_CHECK_SIZE(RKLLMSamplingParam, 36, 4);
RKLLM_CHECK_OFF(RKLLMSamplingParam, top_k, 0);
RKLLM_CHECK_OFF(RKLLMSamplingParam, top_p, 4);
RKLLM_CHECK_OFF(RKLLMSamplingParam, temperature, 8);
RKLLM_CHECK_OFF(RKLLMSamplingParam, repeat_penalty, 12);
RKLLM_CHECK_OFF(RKLLMSamplingParam, frequency_penalty, 16);
RKLLM_CHECK_OFF(RKLLMSamplingParam, presence_penalty, 20);
RKLLM_CHECK_OFF(RKLLMSamplingParam, mirostat, 24);
RKLLM_CHECK_OFF(RKLLMSamplingParam, mirostat_tau, 28);
RKLLM_CHECK_OFF(RKLLMSamplingParam, mirostat_eta, 32);

RKLLM_CHECK_SIZE(RKLLMCallback, 48, 8);
RKLLM_CHECK_OFF(RKLLMCallback, result_callback, 0);
RKLLM_CHECK_OFF(RKLLMCallback, result_userdata, 8);
RKLLM_CHECK_OFF(RKLLMCallback, tokenizer_callback, 16);
RKLLM_CHECK_OFF(RKLLMCallback, tokenizer_userdata, 24);
RKLLM_CHECK_OFF(RKLLMCallback, embed_callback, 32);
RKLLM_CHECK_OFF(RKLLMCallback, embed_userdata, 40);
#endif

#undef RKLLM_CHECK_SIZE
#undef RKLLM_CHECK_OFF
#endif /* layout checks */

#ifdef __cplusplus
}
#endif

#endif /* RKLLM_MOCK_RKLLM_H */
