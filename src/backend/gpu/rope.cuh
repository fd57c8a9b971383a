// Rotary position embedding in place, as ggml computes it (rope_f32 with YaRN).
#pragma once

#include <cstdint>
#include <span>

#include "backend/backend.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// One tensor RoPE rotates: rows of n_heads heads.
struct RopeTarget {
  float* x = nullptr;  // [n_tokens, x_stride]
  int64_t x_stride = 0;
  int64_t n_heads = 0;
};

inline constexpr int kMaxRopeTargets = 2;

// Rotates the first n_rot dims of every head of every row of each target
// (Q and K of a layer share one launch). params.n_heads is ignored: each
// target has its own; freq_factors in device memory.
Status launch_rope(std::span<const RopeTarget> targets, int64_t n_tokens,
                   const int32_t* positions,  // [n_tokens] device
                   const RopeParams& params, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
