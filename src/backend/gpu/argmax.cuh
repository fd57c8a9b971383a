// The argmax of each row of logits, so that a greedy step reads back one id
// per sequence instead of a row of n_vocab floats.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// ids[r] = the column of row r's largest value, the lowest on ties, NaN
// ranking as -inf (the engine's greedy pick, bit for bit).
Status launch_argmax(const float* x, int64_t x_stride,  // [rows, cols]
                     int64_t rows, int64_t cols,
                     int32_t* ids,  // [rows] device
                     rt::Stream stream);

}  // namespace rocmforge::backend::gpu
