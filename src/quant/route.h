// Which of llama.cpp's CPU kernels computes a product (see dot.h): each has
// its own order of float operations, which the tiles reproduce.
#pragma once

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

}  // namespace rocmforge::quant::detail
