/*
 * rknn_api_mock.h — the subset of Rockchip's public rknn_api.h (RKNN API 2.x, librknnrt.so) that
 * the mock vision encoder implements, declared from the header's documented facts: enum values,
 * struct members in declaration order, function signatures. LP64 only (rknn_context is uint64_t
 * there; the real header uses uint32_t on 32-bit ARM). The _Static_asserts pin the layout that the
 * server's FFI code relies on.
 */
#ifndef RKNN_API_MOCK_H
#define RKNN_API_MOCK_H

#include <stddef.h>
#include <stdint.h>

#define RKNN_SUCC 0
#define RKNN_ERR_FAIL -1
#define RKNN_ERR_TIMEOUT -2
#define RKNN_ERR_DEVICE_UNAVAILABLE -3
#define RKNN_ERR_MALLOC_FAIL -4
#define RKNN_ERR_PARAM_INVALID -5
#define RKNN_ERR_MODEL_INVALID -6
#define RKNN_ERR_CTX_INVALID -7
#define RKNN_ERR_INPUT_INVALID -8
#define RKNN_ERR_OUTPUT_INVALID -9

#define RKNN_MAX_DIMS 16
#define RKNN_MAX_NAME_LEN 256

typedef uint64_t rknn_context;

typedef enum {
    RKNN_QUERY_IN_OUT_NUM = 0,
    RKNN_QUERY_INPUT_ATTR = 1,
    RKNN_QUERY_OUTPUT_ATTR = 2,
    RKNN_QUERY_SDK_VERSION = 5,
} rknn_query_cmd;

typedef enum {
    RKNN_TENSOR_FLOAT32 = 0,
    RKNN_TENSOR_FLOAT16 = 1,
    RKNN_TENSOR_INT8 = 2,
    RKNN_TENSOR_UINT8 = 3,
} rknn_tensor_type;

typedef enum { RKNN_TENSOR_QNT_NONE = 0 } rknn_tensor_qnt_type;

typedef enum {
    RKNN_TENSOR_NCHW = 0,
    RKNN_TENSOR_NHWC = 1,
    RKNN_TENSOR_NC1HWC2 = 2,
    RKNN_TENSOR_UNDEFINED = 3,
} rknn_tensor_format;

typedef enum {
    RKNN_NPU_CORE_AUTO = 0,
    RKNN_NPU_CORE_0 = 1,
    RKNN_NPU_CORE_1 = 2,
    RKNN_NPU_CORE_2 = 4,
    RKNN_NPU_CORE_0_1 = 3,
    RKNN_NPU_CORE_0_1_2 = 7,
    RKNN_NPU_CORE_ALL = 0xffff,
} rknn_core_mask;

typedef struct {
    uint32_t n_input;
    uint32_t n_output;
} rknn_input_output_num;

typedef struct {
    uint32_t index;
    uint32_t n_dims;
    uint32_t dims[RKNN_MAX_DIMS];
    char name[RKNN_MAX_NAME_LEN];
    uint32_t n_elems;
    uint32_t size;
    rknn_tensor_format fmt;
    rknn_tensor_type type;
    rknn_tensor_qnt_type qnt_type;
    int8_t fl;
    int32_t zp;
    float scale;
    uint32_t w_stride;
    uint32_t size_with_stride;
    uint8_t pass_through;
    uint32_t h_stride;
} rknn_tensor_attr;

typedef struct {
    char api_version[256];
    char drv_version[256];
} rknn_sdk_version;

typedef struct {
    uint32_t index;
    void* buf;
    uint32_t size;
    uint8_t pass_through;
    rknn_tensor_type type;
    rknn_tensor_format fmt;
} rknn_input;

typedef struct {
    uint8_t want_float;
    uint8_t is_prealloc;
    uint32_t index;
    void* buf;
    uint32_t size;
} rknn_output;

int rknn_init(rknn_context* context, void* model, uint32_t size, uint32_t flag, void* extend);
int rknn_destroy(rknn_context context);
int rknn_query(rknn_context context, rknn_query_cmd cmd, void* info, uint32_t size);
int rknn_inputs_set(rknn_context context, uint32_t n_inputs, rknn_input inputs[]);
int rknn_run(rknn_context context, void* extend);
int rknn_outputs_get(rknn_context context, uint32_t n_outputs, rknn_output outputs[], void* extend);
int rknn_outputs_release(rknn_context context, uint32_t n_outputs, rknn_output outputs[]);
int rknn_set_core_mask(rknn_context context, rknn_core_mask core_mask);

_Static_assert(sizeof(rknn_input_output_num) == 8, "rknn_input_output_num size");
_Static_assert(offsetof(rknn_tensor_attr, dims) == 8, "rknn_tensor_attr.dims");
_Static_assert(offsetof(rknn_tensor_attr, name) == 72, "rknn_tensor_attr.name");
_Static_assert(offsetof(rknn_tensor_attr, n_elems) == 328, "rknn_tensor_attr.n_elems");
_Static_assert(offsetof(rknn_tensor_attr, fmt) == 336, "rknn_tensor_attr.fmt");
_Static_assert(offsetof(rknn_tensor_attr, fl) == 348, "rknn_tensor_attr.fl");
_Static_assert(offsetof(rknn_tensor_attr, zp) == 352, "rknn_tensor_attr.zp");
_Static_assert(offsetof(rknn_tensor_attr, size_with_stride) == 364, "size_with_stride");
_Static_assert(offsetof(rknn_tensor_attr, pass_through) == 368, "pass_through");
_Static_assert(offsetof(rknn_tensor_attr, h_stride) == 372, "rknn_tensor_attr.h_stride");
_Static_assert(sizeof(rknn_tensor_attr) == 376, "rknn_tensor_attr size");
_Static_assert(offsetof(rknn_input, buf) == 8 && offsetof(rknn_input, fmt) == 28, "rknn_input");
_Static_assert(sizeof(rknn_input) == 32, "rknn_input size");
_Static_assert(offsetof(rknn_output, index) == 4 && offsetof(rknn_output, size) == 16, "output");
_Static_assert(sizeof(rknn_output) == 24, "rknn_output size");

#endif
