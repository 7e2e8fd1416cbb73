/*
 * rknn_mock.c — a mock librknnrt.so: a vision encoder without an NPU. One input tensor (an image,
 * NHWC 448x448x3 uint8 by default) and one float32 output of n_image_tokens x embed_dim
 * embeddings derived from the FNV-1a hash of the pixel bytes, so equal images give equal
 * embeddings and different images different ones. Steered by RKNN_MOCK_* variables, read at
 * rknn_init (layout) and at each call (failures, delay); see README.md in this folder.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#pragma GCC visibility push(default)
#include "rknn_api_mock.h"
#pragma GCC visibility pop

#define MOCK_API __attribute__((visibility("default")))
#define MAX_CTX 64

typedef struct {
    bool used;
    uint32_t h, w, c;
    rknn_tensor_format fmt;
    rknn_tensor_type type;
    uint32_t tokens, dim;
    bool input_set, ran;
    uint32_t pixel_hash;
    float* out; /* tokens x dim, valid after rknn_run */
} Ctx;

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static Ctx g_ctx[MAX_CTX + 1]; /* rknn_context values are 1..MAX_CTX */

static uint32_t fnv1a(const void* data, size_t n) {
    const unsigned char* p = data;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

static long env_long(const char* name, long dflt) {
    const char* v = getenv(name);
    if (!v || !*v) return dflt;
    char* end = NULL;
    long x = strtol(v, &end, 10);
    return (end == v || *end) ? dflt : x;
}

static bool env_is(const char* name, const char* value) {
    const char* v = getenv(name);
    return v && strcmp(v, value) == 0;
}

/* One JSON line per call to RKNN_MOCK_LOG (append, single write). */
__attribute__((format(printf, 1, 2))) static void log_line(const char* fmt, ...) {
    const char* path = getenv("RKNN_MOCK_LOG");
    if (!path || !*path) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 2, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
    line[n++] = '\n';
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return;
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
}

static size_t type_size(rknn_tensor_type t) {
    switch (t) {
    case RKNN_TENSOR_FLOAT32: return 4;
    case RKNN_TENSOR_FLOAT16: return 2;
    default: return 1;
    }
}

static Ctx* lookup(rknn_context c) {
    return c >= 1 && c <= MAX_CTX && g_ctx[c].used ? &g_ctx[c] : NULL;
}

static uint32_t input_elems(const Ctx* c) {
    return c->h * c->w * c->c;
}

MOCK_API int rknn_init(rknn_context* context, void* model, uint32_t size, uint32_t flag,
                       void* extend) {
    (void)extend;
    if (!context || !model) {
        log_line("{\"fn\":\"rknn_init\",\"ret\":%d,\"error\":\"NULL argument\"}", RKNN_ERR_PARAM_INVALID);
        return RKNN_ERR_PARAM_INVALID;
    }
    /* size 0: `model` is a path (as the real API allows); otherwise the model bytes. */
    uint32_t model_hash = 0;
    if (size == 0) {
        FILE* f = fopen((const char*)model, "rb");
        if (!f) {
            log_line("{\"fn\":\"rknn_init\",\"ret\":%d,\"error\":\"cannot open model\"}", RKNN_ERR_MODEL_INVALID);
            return RKNN_ERR_MODEL_INVALID;
        }
        fclose(f);
        model_hash = fnv1a(model, strlen((const char*)model));
    } else {
        model_hash = fnv1a(model, size);
    }
    if (env_is("RKNN_MOCK_FAIL_INIT", "1")) {
        log_line("{\"fn\":\"rknn_init\",\"ret\":%d,\"error\":\"RKNN_MOCK_FAIL_INIT\"}", RKNN_ERR_FAIL);
        return RKNN_ERR_FAIL;
    }
    unsigned h = 448, w = 448, ch = 3;
    const char* in = getenv("RKNN_MOCK_INPUT");
    if (in && *in && (sscanf(in, "%ux%ux%u", &h, &w, &ch) != 3 || !h || !w || !ch)) {
        h = 448, w = 448, ch = 3;
    }
    pthread_mutex_lock(&g_mu);
    rknn_context id = 0;
    for (rknn_context i = 1; i <= MAX_CTX && !id; i++)
        if (!g_ctx[i].used) id = i;
    if (!id) {
        pthread_mutex_unlock(&g_mu);
        log_line("{\"fn\":\"rknn_init\",\"ret\":%d,\"error\":\"too many contexts\"}", RKNN_ERR_MALLOC_FAIL);
        return RKNN_ERR_MALLOC_FAIL;
    }
    Ctx* c = &g_ctx[id];
    memset(c, 0, sizeof *c);
    c->used = true;
    c->h = h, c->w = w, c->c = ch;
    c->fmt = env_is("RKNN_MOCK_LAYOUT", "NCHW") ? RKNN_TENSOR_NCHW : RKNN_TENSOR_NHWC;
    c->type = env_is("RKNN_MOCK_INPUT_TYPE", "float32") ? RKNN_TENSOR_FLOAT32 : RKNN_TENSOR_UINT8;
    long tokens = env_long("RKNN_MOCK_IMAGE_TOKENS", 196);
    long dim = env_long("RKLLM_MOCK_EMBED_DIM", 64);
    c->tokens = tokens > 0 && tokens <= 65536 ? (uint32_t)tokens : 196;
    c->dim = dim > 0 && dim <= 65536 ? (uint32_t)dim : 64;
    pthread_mutex_unlock(&g_mu);
    *context = id;
    log_line("{\"fn\":\"rknn_init\",\"ctx\":%llu,\"model_size\":%u,\"model_hash\":\"%08x\","
             "\"flag\":%u,\"input\":[%u,%u,%u],\"fmt\":\"%s\",\"type\":\"%s\",\"tokens\":%u,"
             "\"dim\":%u,\"ret\":0}",
             (unsigned long long)id, size, model_hash, flag, h, w, ch,
             c->fmt == RKNN_TENSOR_NCHW ? "NCHW" : "NHWC",
             c->type == RKNN_TENSOR_FLOAT32 ? "float32" : "uint8", c->tokens, c->dim);
    return RKNN_SUCC;
}

MOCK_API int rknn_destroy(rknn_context context) {
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    if (c) {
        free(c->out);
        memset(c, 0, sizeof *c);
    }
    pthread_mutex_unlock(&g_mu);
    int ret = c ? RKNN_SUCC : RKNN_ERR_CTX_INVALID;
    log_line("{\"fn\":\"rknn_destroy\",\"ctx\":%llu,\"ret\":%d}", (unsigned long long)context, ret);
    return ret;
}

static void fill_input_attr(const Ctx* c, rknn_tensor_attr* a) {
    a->n_dims = 4;
    a->dims[0] = 1;
    if (c->fmt == RKNN_TENSOR_NCHW) {
        a->dims[1] = c->c, a->dims[2] = c->h, a->dims[3] = c->w;
    } else {
        a->dims[1] = c->h, a->dims[2] = c->w, a->dims[3] = c->c;
    }
    snprintf(a->name, sizeof a->name, "pixel_values");
    a->n_elems = input_elems(c);
    a->size = a->n_elems * (uint32_t)type_size(c->type);
    a->fmt = c->fmt;
    a->type = c->type;
    a->scale = 1.0f;
    a->w_stride = c->w;
    a->size_with_stride = a->size;
}

static void fill_output_attr(const Ctx* c, rknn_tensor_attr* a) {
    a->n_dims = 3;
    a->dims[0] = 1, a->dims[1] = c->tokens, a->dims[2] = c->dim;
    snprintf(a->name, sizeof a->name, "image_embeds");
    a->n_elems = c->tokens * c->dim;
    a->size = a->n_elems * 4;
    a->fmt = RKNN_TENSOR_UNDEFINED;
    a->type = RKNN_TENSOR_FLOAT32;
    a->scale = 1.0f;
    a->size_with_stride = a->size;
}

MOCK_API int rknn_query(rknn_context context, rknn_query_cmd cmd, void* info, uint32_t size) {
    int ret = RKNN_SUCC;
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    if (!c) {
        ret = RKNN_ERR_CTX_INVALID;
    } else if (!info) {
        ret = RKNN_ERR_PARAM_INVALID;
    } else if (cmd == RKNN_QUERY_IN_OUT_NUM && size >= sizeof(rknn_input_output_num)) {
        rknn_input_output_num* n = info;
        n->n_input = 1;
        n->n_output = 1;
    } else if ((cmd == RKNN_QUERY_INPUT_ATTR || cmd == RKNN_QUERY_OUTPUT_ATTR) &&
               size >= sizeof(rknn_tensor_attr)) {
        rknn_tensor_attr* a = info;
        uint32_t index = a->index;
        if (index != 0) {
            ret = RKNN_ERR_PARAM_INVALID;
        } else {
            memset(a, 0, sizeof *a);
            if (cmd == RKNN_QUERY_INPUT_ATTR)
                fill_input_attr(c, a);
            else
                fill_output_attr(c, a);
        }
    } else if (cmd == RKNN_QUERY_SDK_VERSION && size >= sizeof(rknn_sdk_version)) {
        rknn_sdk_version* v = info;
        snprintf(v->api_version, sizeof v->api_version, "2.3.0 (mock)");
        snprintf(v->drv_version, sizeof v->drv_version, "0.9.8");
    } else {
        ret = RKNN_ERR_PARAM_INVALID;
    }
    pthread_mutex_unlock(&g_mu);
    log_line("{\"fn\":\"rknn_query\",\"ctx\":%llu,\"cmd\":%d,\"size\":%u,\"ret\":%d}",
             (unsigned long long)context, (int)cmd, size, ret);
    return ret;
}

MOCK_API int rknn_inputs_set(rknn_context context, uint32_t n_inputs, rknn_input inputs[]) {
    int ret = RKNN_SUCC;
    const char* error = "";
    uint32_t hash = 0, got = 0, want = 0;
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    if (!c) {
        ret = RKNN_ERR_CTX_INVALID;
    } else if (n_inputs != 1 || !inputs || inputs[0].index != 0 || !inputs[0].buf) {
        ret = RKNN_ERR_INPUT_INVALID;
        error = "expected one input with index 0 and a buffer";
    } else {
        got = inputs[0].size;
        /* pass_through: the buffer must already be in the model's type and layout. */
        rknn_tensor_type t = inputs[0].pass_through ? c->type : inputs[0].type;
        want = input_elems(c) * (uint32_t)type_size(t);
        if (inputs[0].pass_through && inputs[0].fmt != c->fmt) {
            ret = RKNN_ERR_INPUT_INVALID;
            error = "pass_through input in another layout";
        } else if (got != want) {
            ret = RKNN_ERR_INPUT_INVALID;
            error = "input size does not match the tensor";
        } else if (env_is("RKNN_MOCK_FAIL", "inputs_set")) {
            ret = RKNN_ERR_FAIL;
            error = "RKNN_MOCK_FAIL=inputs_set";
        } else {
            hash = fnv1a(inputs[0].buf, got);
            c->pixel_hash = hash;
            c->input_set = true;
            c->ran = false;
        }
    }
    pthread_mutex_unlock(&g_mu);
    log_line("{\"fn\":\"rknn_inputs_set\",\"ctx\":%llu,\"n_inputs\":%u,\"size\":%u,"
             "\"expected\":%u,\"pixel_hash\":\"%08x\",\"error\":\"%s\",\"ret\":%d}",
             (unsigned long long)context, n_inputs, got, want, hash, error, ret);
    return ret;
}

/* Deterministic embeddings in [-1, 1): row r of the image with pixel hash h. */
static void make_embeddings(float* out, uint32_t h, uint32_t tokens, uint32_t dim) {
    for (uint32_t r = 0; r < tokens; r++) {
        uint32_t x = h ^ (r * 0x9E3779B9u);
        if (!x) x = 0x12345678u;
        for (uint32_t k = 0; k < dim; k++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            out[(size_t)r * dim + k] = (float)(x >> 8) / 8388608.0f - 1.0f;
        }
    }
}

MOCK_API int rknn_run(rknn_context context, void* extend) {
    (void)extend;
    long ms = env_long("RKNN_MOCK_RUN_MS", 0);
    if (ms > 0) {
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
        }
    }
    int ret = RKNN_SUCC;
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    if (!c) {
        ret = RKNN_ERR_CTX_INVALID;
    } else if (!c->input_set) {
        ret = RKNN_ERR_INPUT_INVALID;
    } else if (env_is("RKNN_MOCK_FAIL", "run")) {
        ret = RKNN_ERR_FAIL;
    } else if (env_is("RKNN_MOCK_FAIL", "timeout")) {
        ret = RKNN_ERR_TIMEOUT;
    } else {
        free(c->out);
        c->out = malloc((size_t)c->tokens * c->dim * sizeof(float));
        if (!c->out) {
            ret = RKNN_ERR_MALLOC_FAIL;
        } else {
            make_embeddings(c->out, c->pixel_hash, c->tokens, c->dim);
            c->ran = true;
        }
    }
    pthread_mutex_unlock(&g_mu);
    log_line("{\"fn\":\"rknn_run\",\"ctx\":%llu,\"run_ms\":%ld,\"ret\":%d}",
             (unsigned long long)context, ms, ret);
    return ret;
}

MOCK_API int rknn_outputs_get(rknn_context context, uint32_t n_outputs, rknn_output outputs[],
                              void* extend) {
    (void)extend;
    int ret = RKNN_SUCC;
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    size_t bytes = c ? (size_t)c->tokens * c->dim * sizeof(float) : 0;
    if (!c) {
        ret = RKNN_ERR_CTX_INVALID;
    } else if (n_outputs != 1 || !outputs || outputs[0].index != 0 || !c->ran) {
        ret = RKNN_ERR_OUTPUT_INVALID;
    } else if (env_is("RKNN_MOCK_FAIL", "outputs_get")) {
        ret = RKNN_ERR_FAIL;
    } else if (outputs[0].is_prealloc) {
        if (!outputs[0].buf || outputs[0].size < bytes)
            ret = RKNN_ERR_OUTPUT_INVALID;
        else
            memcpy(outputs[0].buf, c->out, bytes);
    } else {
        void* p = malloc(bytes);
        if (!p) {
            ret = RKNN_ERR_MALLOC_FAIL;
        } else {
            memcpy(p, c->out, bytes);
            outputs[0].buf = p;
            outputs[0].size = (uint32_t)bytes;
        }
    }
    pthread_mutex_unlock(&g_mu);
    log_line("{\"fn\":\"rknn_outputs_get\",\"ctx\":%llu,\"n_outputs\":%u,\"bytes\":%zu,"
             "\"ret\":%d}",
             (unsigned long long)context, n_outputs, bytes, ret);
    return ret;
}

MOCK_API int rknn_outputs_release(rknn_context context, uint32_t n_outputs,
                                  rknn_output outputs[]) {
    int ret = RKNN_SUCC;
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    pthread_mutex_unlock(&g_mu);
    if (!c) {
        ret = RKNN_ERR_CTX_INVALID;
    } else if (!outputs) {
        ret = RKNN_ERR_PARAM_INVALID;
    } else {
        for (uint32_t i = 0; i < n_outputs; i++) {
            if (!outputs[i].is_prealloc) {
                free(outputs[i].buf);
                outputs[i].buf = NULL;
            }
        }
    }
    log_line("{\"fn\":\"rknn_outputs_release\",\"ctx\":%llu,\"n_outputs\":%u,\"ret\":%d}",
             (unsigned long long)context, n_outputs, ret);
    return ret;
}

MOCK_API int rknn_set_core_mask(rknn_context context, rknn_core_mask core_mask) {
    int ret = RKNN_SUCC;
    pthread_mutex_lock(&g_mu);
    Ctx* c = lookup(context);
    pthread_mutex_unlock(&g_mu);
    unsigned m = (unsigned)core_mask;
    if (!c)
        ret = RKNN_ERR_CTX_INVALID;
    else if (env_is("RKNN_MOCK_FAIL", "core_mask"))
        ret = RKNN_ERR_FAIL;
    else if (!(m == 0 || m == 1 || m == 2 || m == 4 || m == 3 || m == 7 || m == 0xffff))
        ret = RKNN_ERR_PARAM_INVALID;
    log_line("{\"fn\":\"rknn_set_core_mask\",\"ctx\":%llu,\"core_mask\":%u,\"ret\":%d}",
             (unsigned long long)context, m, ret);
    return ret;
}
