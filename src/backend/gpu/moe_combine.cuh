// out[t] = sum over j of weights[t, j] * expert_out[t * n_used + j], j in order.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

Status launch_moe_combine(const float* expert_out, int64_t eo_stride,  // [n_tokens * n_used, cols]
                          const float* weights, int64_t w_stride,      // [n_tokens, n_used]
                          int64_t n_used,
                          float* out, int64_t out_stride,  // [n_tokens, cols]
                          int64_t n_tokens, int64_t cols, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
