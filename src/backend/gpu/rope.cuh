// Rotary position embedding in place, as ggml computes it (rope_f32 with YaRN).
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Rotates the first n_rot dims of every head of every row of x.
Status launch_rope(float* x,  // [n_tokens, x_stride], heads of params.head_dim
                   int64_t x_stride, int64_t n_tokens,
                   const int32_t* positions,  // [n_tokens] device
                   const RopeParams& params,  // freq_factors in device memory
                   rt::Stream stream);

}  // namespace rocmforge::backend::gpu
