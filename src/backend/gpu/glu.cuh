// Gated activations: out = act(gate) * up, act SiLU or GELU (tanh approximation).
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "backend/gpu/act_store.cuh"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// `out` may alias `gate` or `up`; `act`, if given, receives a converted copy
// of out for the matmul that reads it.
Status launch_glu(GluKind kind,
                  const float* gate, int64_t gate_stride,  // [rows, cols]
                  const float* up, int64_t up_stride,      // [rows, cols]
                  float* out, int64_t out_stride,          // [rows, cols]
                  int64_t rows, int64_t cols, const ActOut& act, rt::Stream stream);
// The same over F16 gate and up (strides in halves): the BLAS's F16 sums of
// a prompt's gate and up products, read at half the bytes.
Status launch_glu_f16_in(GluKind kind,
                         const uint16_t* gate, int64_t gate_stride,  // [rows, cols]
                         const uint16_t* up, int64_t up_stride,      // [rows, cols]
                         float* out, int64_t out_stride,             // [rows, cols]
                         int64_t rows, int64_t cols, const ActOut& act, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
