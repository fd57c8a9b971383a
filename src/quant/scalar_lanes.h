// Helpers of the scalar dot files (in an anonymous namespace, like every
// header the kernel files share; see tile_dispatch.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rocmforge::quant::detail {
namespace {

struct Lanes8 {
  float v[8];
};

// hsum_float_8: lanes i + 4, then (0 + 2) + (1 + 3).
inline float hsum8(const float* x) {
  float t[4];
  for (int j = 0; j < 4; ++j) t[j] = x[j + 4] + x[j];
  return (t[0] + t[2]) + (t[1] + t[3]);
}

// A tile computed one (row, column) pair at a time by kDot(n, w_row, a_row).
template <float (*kDot)(int64_t, const uint8_t*, const uint8_t*), int R, int C>
struct PairwiseTile {
  static void run(int64_t n, const uint8_t* w, size_t ws, const uint8_t* a, size_t as, float* out, size_t os) {
    for (int r = 0; r < R; ++r) {
      for (int c = 0; c < C; ++c) out[r * os + c] = kDot(n, w + r * ws, a + c * as);
    }
  }
};

}  // namespace
}  // namespace rocmforge::quant::detail
