// Small helpers of the AVX-512 files (in an anonymous namespace: each file
// gets its own copy; see tile_dispatch.h).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "quant/quant_tile.h"

namespace rocmforge::quant::detail {
namespace {

// The sum of 16 lanes in _mm512_reduce_add_ps's order (lanes i + 8 first).
// Halves by shuffles: GCC 12's extract intrinsics trip -Wmaybe-uninitialized.
inline float hsum16(__m512 v) {
  const auto f = reinterpret_cast<__v16sf>(v);
  const auto lo = __builtin_shufflevector(f, f, 0, 1, 2, 3, 4, 5, 6, 7);
  const auto hi = __builtin_shufflevector(f, f, 8, 9, 10, 11, 12, 13, 14, 15);
  return hsum(reinterpret_cast<__m256>(lo + hi));
}

// ggml_vec_dot_bf16's two accumulators: reduced, then summed in double.
inline double bf16_vec_dot_sum(const __m512 (&c)[2]) {
  double sum = 0.0;
  sum += static_cast<double>(hsum16(c[0]));
  sum += static_cast<double>(hsum16(c[1]));
  return sum;
}

}  // namespace
}  // namespace rocmforge::quant::detail
