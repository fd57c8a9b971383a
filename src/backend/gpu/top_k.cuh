// The k best columns of each row of logits and the row's softmax normaliser,
// so that a sampling step reads back k candidates per sequence instead of a
// row of n_vocab floats (Backend::top_k).
#pragma once

#include <cstdint>

#include "backend/backend.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// Row r's k best columns, ranked as the engine's sampler ranks them (larger
// first, ties to the lower column, NaN as -inf, -0 equal to +0), into
// values/ids[r * k ...]; sums[r] = sum of exp(x - max) over the row, in double.
// 1 <= k <= min(cols, kMaxTopK).
Status launch_top_k(const float* x, int64_t x_stride,  // [rows, cols]
                    int64_t rows, int64_t cols, int64_t k,
                    float* values,  // [rows, k] device
                    int32_t* ids,   // [rows, k] device
                    float* sums,    // [rows] device
                    rt::Stream stream);

}  // namespace rocmforge::backend::gpu
