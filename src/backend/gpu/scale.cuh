// In-place scaling of F32 rows: x *= s, or soft-capping x = cap * tanh(x / cap).
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

Status launch_scale(float* x, int64_t x_stride,  // [rows, cols]
                    int64_t rows, int64_t cols, float s, rt::Stream stream);

// ggml's order: tanh(x * (1 / cap)) * cap.
Status launch_softcap(float* x, int64_t x_stride,  // [rows, cols]
                      int64_t rows, int64_t cols, float cap, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
