/*
 * probe.c — prints the layout of every RKLLM struct declared in rkllm.h as ONE JSON object:
 *
 *   {"abi":"1.2.3","structs":{"RKLLMParam":{"__size":208,"__align":8,"model_path":0,...},...}}
 *
 * Nested members are dot-joined ("extend_param.n_batch") and their offsets are measured from the
 * start of the outermost struct; every member of a union is listed. A TypeScript test compares
 * these numbers with the offset constants of src/rkllm/layouts.ts.
 * Build with the same -DRKLLM_ABI=123|130 as the library (tests/mock/build.sh does this).
 */
#include <stdio.h>

#include "rkllm.h"

static int g_first_struct = 1;

static void begin_struct(const char* name, size_t size, size_t align) {
    printf("%s\n  \"%s\": {\"__size\": %zu, \"__align\": %zu", g_first_struct ? "" : ",", name,
           size, align);
    g_first_struct = 0;
}

static void field(const char* name, size_t off) {
    printf(", \"%s\": %zu", name, off);
}

static void end_struct(void) {
    printf("}");
}

#define BEGIN(T) begin_struct(#T, sizeof(T), _Alignof(T))
#define F(T, member) field(#member, offsetof(T, member))

int main(void) {
#if RKLLM_ABI == 130
    const char* abi = "1.3.0";
#else
    const char* abi = "1.2.3";
#endif
    printf("{\"abi\": \"%s\", \"structs\": {", abi);

    BEGIN(RKLLMParam);
    F(RKLLMParam, model_path);
    F(RKLLMParam, max_context_len);
    F(RKLLMParam, max_new_tokens);
    F(RKLLMParam, top_k);
    F(RKLLMParam, n_keep);
    F(RKLLMParam, top_p);
    F(RKLLMParam, temperature);
    F(RKLLMParam, repeat_penalty);
    F(RKLLMParam, frequency_penalty);
    F(RKLLMParam, presence_penalty);
    F(RKLLMParam, mirostat);
    F(RKLLMParam, mirostat_tau);
    F(RKLLMParam, mirostat_eta);
    F(RKLLMParam, skip_special_token);
#if RKLLM_ABI == 130
    F(RKLLMParam, ignore_eos_token);
#endif
    F(RKLLMParam, is_async);
#if RKLLM_ABI == 123
    F(RKLLMParam, img_start);
    F(RKLLMParam, img_end);
    F(RKLLMParam, img_content);
#endif
    F(RKLLMParam, extend_param);
    F(RKLLMParam, extend_param.base_domain_id);
    F(RKLLMParam, extend_param.embed_flash);
    F(RKLLMParam, extend_param.enabled_cpus_num);
    F(RKLLMParam, extend_param.enabled_cpus_mask);
    F(RKLLMParam, extend_param.n_batch);
    F(RKLLMParam, extend_param.use_cross_attn);
    F(RKLLMParam, extend_param.reserved);
    end_struct();

    BEGIN(RKLLMExtendParam);
    F(RKLLMExtendParam, base_domain_id);
    F(RKLLMExtendParam, embed_flash);
    F(RKLLMExtendParam, enabled_cpus_num);
    F(RKLLMExtendParam, enabled_cpus_mask);
    F(RKLLMExtendParam, n_batch);
    F(RKLLMExtendParam, use_cross_attn);
    F(RKLLMExtendParam, reserved);
    end_struct();

    BEGIN(RKLLMInput);
    F(RKLLMInput, role);
    F(RKLLMInput, enable_thinking);
    F(RKLLMInput, input_type);
    F(RKLLMInput, prompt_input);
    F(RKLLMInput, embed_input);
    F(RKLLMInput, embed_input.embed);
    F(RKLLMInput, embed_input.n_tokens);
    F(RKLLMInput, token_input);
    F(RKLLMInput, token_input.input_ids);
    F(RKLLMInput, token_input.n_tokens);
    F(RKLLMInput, multimodal_input);
    F(RKLLMInput, multimodal_input.prompt);
#if RKLLM_ABI == 123
    F(RKLLMInput, multimodal_input.image_embed);
    F(RKLLMInput, multimodal_input.n_image_tokens);
    F(RKLLMInput, multimodal_input.n_image);
    F(RKLLMInput, multimodal_input.image_width);
    F(RKLLMInput, multimodal_input.image_height);
#else
    F(RKLLMInput, multimodal_input.image);
    F(RKLLMInput, multimodal_input.image.image_embed);
    F(RKLLMInput, multimodal_input.image.n_image_tokens);
    F(RKLLMInput, multimodal_input.image.n_image);
    F(RKLLMInput, multimodal_input.image.image_start);
    F(RKLLMInput, multimodal_input.image.image_end);
    F(RKLLMInput, multimodal_input.image.image_content);
    F(RKLLMInput, multimodal_input.image.image_width);
    F(RKLLMInput, multimodal_input.image.image_height);
    F(RKLLMInput, multimodal_input.video);
    F(RKLLMInput, multimodal_input.video.video_embed);
    F(RKLLMInput, multimodal_input.video.n_frame_tokens);
    F(RKLLMInput, multimodal_input.video.n_frame_per_video);
    F(RKLLMInput, multimodal_input.video.n_video);
    F(RKLLMInput, multimodal_input.video.video_start);
    F(RKLLMInput, multimodal_input.video.video_end);
    F(RKLLMInput, multimodal_input.video.video_content);
    F(RKLLMInput, multimodal_input.video.frame_width);
    F(RKLLMInput, multimodal_input.video.frame_height);
#endif
    end_struct();

    BEGIN(RKLLMEmbedInput);
    F(RKLLMEmbedInput, embed);
    F(RKLLMEmbedInput, n_tokens);
    end_struct();

    BEGIN(RKLLMTokenInput);
    F(RKLLMTokenInput, input_ids);
    F(RKLLMTokenInput, n_tokens);
    end_struct();

    BEGIN(RKLLMMultiModalInput);
    F(RKLLMMultiModalInput, prompt);
#if RKLLM_ABI == 123
    F(RKLLMMultiModalInput, image_embed);
    F(RKLLMMultiModalInput, n_image_tokens);
    F(RKLLMMultiModalInput, n_image);
    F(RKLLMMultiModalInput, image_width);
    F(RKLLMMultiModalInput, image_height);
#else
    F(RKLLMMultiModalInput, image);
    F(RKLLMMultiModalInput, image.image_embed);
    F(RKLLMMultiModalInput, image.n_image_tokens);
    F(RKLLMMultiModalInput, image.n_image);
    F(RKLLMMultiModalInput, image.image_start);
    F(RKLLMMultiModalInput, image.image_end);
    F(RKLLMMultiModalInput, image.image_content);
    F(RKLLMMultiModalInput, image.image_width);
    F(RKLLMMultiModalInput, image.image_height);
    F(RKLLMMultiModalInput, video);
    F(RKLLMMultiModalInput, video.video_embed);
    F(RKLLMMultiModalInput, video.n_frame_tokens);
    F(RKLLMMultiModalInput, video.n_frame_per_video);
    F(RKLLMMultiModalInput, video.n_video);
    F(RKLLMMultiModalInput, video.video_start);
    F(RKLLMMultiModalInput, video.video_end);
    F(RKLLMMultiModalInput, video.video_content);
    F(RKLLMMultiModalInput, video.frame_width);
    F(RKLLMMultiModalInput, video.frame_height);
#endif
    end_struct();

    BEGIN(RKLLMInferParam);
    F(RKLLMInferParam, mode);
    F(RKLLMInferParam, lora_params);
    F(RKLLMInferParam, prompt_cache_params);
#if RKLLM_ABI == 130
    F(RKLLMInferParam, sampling_params);
#endif
    F(RKLLMInferParam, keep_history);
#if RKLLM_ABI == 130
    F(RKLLMInferParam, max_new_tokens);
#endif
    end_struct();

#if RKLLM_ABI == 130
    BEGIN(RKLLMSamplingParam);
    F(RKLLMSamplingParam, top_k);
    F(RKLLMSamplingParam, top_p);
    F(RKLLMSamplingParam, temperature);
    F(RKLLMSamplingParam, repeat_penalty);
    F(RKLLMSamplingParam, frequency_penalty);
    F(RKLLMSamplingParam, presence_penalty);
    F(RKLLMSamplingParam, mirostat);
    F(RKLLMSamplingParam, mirostat_tau);
    F(RKLLMSamplingParam, mirostat_eta);
    end_struct();
#endif

    BEGIN(RKLLMLoraParam);
    F(RKLLMLoraParam, lora_adapter_name);
    end_struct();

    BEGIN(RKLLMPromptCacheParam);
    F(RKLLMPromptCacheParam, save_prompt_cache);
    F(RKLLMPromptCacheParam, prompt_cache_path);
    end_struct();

    BEGIN(RKLLMLoraAdapter);
    F(RKLLMLoraAdapter, lora_adapter_path);
    F(RKLLMLoraAdapter, lora_adapter_name);
    F(RKLLMLoraAdapter, scale);
    end_struct();

    BEGIN(RKLLMResult);
    F(RKLLMResult, text);
    F(RKLLMResult, token_id);
    F(RKLLMResult, last_hidden_layer);
    F(RKLLMResult, last_hidden_layer.hidden_states);
    F(RKLLMResult, last_hidden_layer.embd_size);
    F(RKLLMResult, last_hidden_layer.num_tokens);
    F(RKLLMResult, logits);
    F(RKLLMResult, logits.logits);
    F(RKLLMResult, logits.vocab_size);
    F(RKLLMResult, logits.num_tokens);
    F(RKLLMResult, perf);
    F(RKLLMResult, perf.prefill_time_ms);
    F(RKLLMResult, perf.prefill_tokens);
    F(RKLLMResult, perf.generate_time_ms);
    F(RKLLMResult, perf.generate_tokens);
    F(RKLLMResult, perf.memory_usage_mb);
    end_struct();

    BEGIN(RKLLMResultLastHiddenLayer);
    F(RKLLMResultLastHiddenLayer, hidden_states);
    F(RKLLMResultLastHiddenLayer, embd_size);
    F(RKLLMResultLastHiddenLayer, num_tokens);
    end_struct();

    BEGIN(RKLLMResultLogits);
    F(RKLLMResultLogits, logits);
    F(RKLLMResultLogits, vocab_size);
    F(RKLLMResultLogits, num_tokens);
    end_struct();

    BEGIN(RKLLMPerfStat);
    F(RKLLMPerfStat, prefill_time_ms);
    F(RKLLMPerfStat, prefill_tokens);
    F(RKLLMPerfStat, generate_time_ms);
    F(RKLLMPerfStat, generate_tokens);
    F(RKLLMPerfStat, memory_usage_mb);
    end_struct();

    BEGIN(RKLLMCrossAttnParam);
    F(RKLLMCrossAttnParam, encoder_k_cache);
    F(RKLLMCrossAttnParam, encoder_v_cache);
    F(RKLLMCrossAttnParam, encoder_mask);
    F(RKLLMCrossAttnParam, encoder_pos);
    F(RKLLMCrossAttnParam, num_tokens);
    end_struct();

#if RKLLM_ABI == 130
    BEGIN(RKLLMCallback);
    F(RKLLMCallback, result_callback);
    F(RKLLMCallback, result_userdata);
    F(RKLLMCallback, tokenizer_callback);
    F(RKLLMCallback, tokenizer_userdata);
    F(RKLLMCallback, embed_callback);
    F(RKLLMCallback, embed_userdata);
    end_struct();
#endif

    printf("\n}}\n");
    return 0;
}
