// out = a + b, elementwise over F32 rows (b may be a single row).
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// `out` may alias `a` or `b`; b_stride 0 adds one row of b to every row (a bias).
Status launch_add(const float* a, int64_t a_stride,  // [rows, cols]
                  const float* b, int64_t b_stride,  // [rows, cols] or [1, cols]
                  float* out, int64_t out_stride,    // [rows, cols]
                  int64_t rows, int64_t cols, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
