// Which of llama.cpp's CPU kernels computes a product (see dot.h): each has
// its own order of float operations, which the tiles reproduce.
#pragma once

#include "gguf/ggml_type.h"
#include "quant/dot.h"

namespace rocmforge::quant::detail {

enum class Route {
  kVecDot,    // ggml_vec_dot_*: one-token products, and types without a batched kernel
  kBatched,   // llamafile's tinyBLAS (sgemm.cpp): float types, Q4_0/Q5_0/Q8_0/IQ4_NL
  kRepacked,  // CPU_REPACK weights (gemm for full 4-token groups, gemv for the rest), the IQ panel
};

// The route of a product's 1-column tiles and of its wider ones.
struct Routes {
  Route narrow;
  Route wide;
};

// The routes llama.cpp takes for a product of this shape (dispatch.cpp).
Routes routes_for(gguf::GgmlType type, const MatmulShape& shape);

// How a 256-element type's ggml_vec_dot_*_q8_K adds dmin * (mins . activation
// sums) (see dot_scalar_k.cpp).
enum class Min {
  kNone,
  kInLanes,  // Q2_K: fma(dmin, lane i of mins . bsums, acc[i]) into the same lanes, before the scales
  kFour,     // Q4_K: 4 extra lanes of 32-element sums, reduced and added after hsum8
  kScalar,   // Q5_K: summs = fma(whole mins . sums, dmin, summs), added after hsum8
};

}  // namespace rocmforge::quant::detail
