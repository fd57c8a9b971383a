// x[t, :] *= sigmoid(g[t]) for a one-column g (a shared expert's gate).
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

Status launch_mul_sigmoid(float* x, int64_t x_stride,        // [rows, cols]
                          const float* g, int64_t g_stride,  // [rows, 1]
                          int64_t rows, int64_t cols, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
