// Mixture-of-experts routing: softmax over each row of router logits, the
// n_used most likely experts and their (optionally renormalised, scaled) weights.
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

Status launch_moe_route(const float* logits, int64_t logits_stride,  // [n_tokens, n_expert]
                        int64_t n_tokens, const MoeRouting& routing,
                        int32_t* ids,                                 // [n_tokens, n_used] device
                        float* weights, int64_t weights_stride,       // [n_tokens, n_used]
                        rt::Stream stream);

}  // namespace rocmforge::backend::gpu
