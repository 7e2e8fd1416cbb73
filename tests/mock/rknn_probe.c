/* rknn_probe.c — prints the layout of the mock's rknn structs as one JSON object, for a
 * TypeScript layout test of the server's librknnrt.so bindings. */
#include <stddef.h>
#include <stdio.h>

#include "rknn_api_mock.h"

#define F(T, m) printf(",\"" #m "\":%zu", offsetof(T, m))
#define S(T) printf("\"" #T "\":{\"__size\":%zu,\"__align\":%zu", sizeof(T), _Alignof(T))

int main(void) {
    printf("{\"abi\":\"rknn-2.x\",\"structs\":{");
    S(rknn_input_output_num);
    F(rknn_input_output_num, n_input);
    F(rknn_input_output_num, n_output);
    printf("},");
    S(rknn_tensor_attr);
    F(rknn_tensor_attr, index);
    F(rknn_tensor_attr, n_dims);
    F(rknn_tensor_attr, dims);
    F(rknn_tensor_attr, name);
    F(rknn_tensor_attr, n_elems);
    F(rknn_tensor_attr, size);
    F(rknn_tensor_attr, fmt);
    F(rknn_tensor_attr, type);
    F(rknn_tensor_attr, qnt_type);
    F(rknn_tensor_attr, fl);
    F(rknn_tensor_attr, zp);
    F(rknn_tensor_attr, scale);
    F(rknn_tensor_attr, w_stride);
    F(rknn_tensor_attr, size_with_stride);
    F(rknn_tensor_attr, pass_through);
    F(rknn_tensor_attr, h_stride);
    printf("},");
    S(rknn_input);
    F(rknn_input, index);
    F(rknn_input, buf);
    F(rknn_input, size);
    F(rknn_input, pass_through);
    F(rknn_input, type);
    F(rknn_input, fmt);
    printf("},");
    S(rknn_output);
    F(rknn_output, want_float);
    F(rknn_output, is_prealloc);
    F(rknn_output, index);
    F(rknn_output, buf);
    F(rknn_output, size);
    printf("},");
    S(rknn_sdk_version);
    F(rknn_sdk_version, api_version);
    F(rknn_sdk_version, drv_version);
    printf("}}}\n");
    return 0;
}
