// Embedding lookup: out[i] = table[ids[i]] dequantised to F32.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "gguf/ggml_type.h"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// `table` is in the device weight layout; an id outside it raises kTokenOutOfRange.
Status launch_embed(const uint8_t* table, gguf::GgmlType type, size_t table_stride, int64_t table_rows,  // [rows, cols]
                    int64_t cols,
                    const int32_t* ids,  // [n] device
                    int64_t n,
                    float* out, int64_t out_stride,  // [n, cols]
                    uint32_t* error_flag, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
