// Small helpers of the AVX-512 files (in an anonymous namespace: each file
// gets its own copy; see tile_dispatch.h).
#pragma once

#include <immintrin.h>

#include <cstdint>

#include "quant/quant_tile.h"

namespace rocmforge::quant::detail {
namespace {

// The sum of 16 lanes. Halves by shuffles: GCC 12's extract intrinsics trip
// -Wmaybe-uninitialized.
inline float hsum16(__m512 v) {
  const auto f = reinterpret_cast<__v16sf>(v);
  const auto lo = __builtin_shufflevector(f, f, 0, 1, 2, 3, 4, 5, 6, 7);
  const auto hi = __builtin_shufflevector(f, f, 8, 9, 10, 11, 12, 13, 14, 15);
  return hsum(reinterpret_cast<__m256>(lo + hi));
}

// The mask of the first `count` lanes (count <= 16, or <= 32 for the 32-bit form).
inline __mmask16 first16(int64_t count) { return static_cast<__mmask16>((1u << count) - 1); }
inline __mmask32 first32(int64_t count) { return static_cast<__mmask32>((uint64_t{1} << count) - 1); }

}  // namespace
}  // namespace rocmforge::quant::detail
