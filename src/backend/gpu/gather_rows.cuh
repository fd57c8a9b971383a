// out[i] = x[rows[i]]: the rows whose logits a step asked for.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// `out` must not overlap `x`; a row index outside x raises kRowOutOfRange.
Status launch_gather_rows(const float* x, int64_t x_stride, int64_t x_rows,  // [x_rows, cols]
                          const int32_t* rows,                               // [n] device
                          int64_t n, int64_t cols,
                          float* out, int64_t out_stride,  // [n, cols]
                          uint32_t* error_flag, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
