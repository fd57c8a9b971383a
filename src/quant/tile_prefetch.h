// Prefetching the next row tile of a one-token product.
//
// The matmul walks a thread's row tiles in order and a tile's R rows lie back
// to back, so the next tile is the R * ws bytes after this one. Rows of a few
// KiB are many short streams that the hardware prefetcher barely ramps up on;
// fetching the next tile a slice per step while this one computes keeps decode
// streaming from memory (llama.cpp gets the same by repacking rows into one
// stream). Only one-column tiles prefetch: a batch reuses each tile for many
// tokens, so its next tile is not needed soon.
#pragma once

#include <xmmintrin.h>

#include <cstddef>
#include <cstdint>

namespace rocmforge::quant::detail {
namespace {

template <int R, int C>
class NextTile {
 public:
  NextTile(const uint8_t* w, size_t ws, int64_t n_steps)
      : next_(w + R * ws), slice_(n_steps > 0 ? R * ws / static_cast<size_t>(n_steps) : 0) {}

  // The slice of step `step` of n_steps (prefetching never faults, so the
  // slice after a thread's last tile is harmless).
  [[gnu::always_inline]] void fetch(int64_t step) const {
    if constexpr (C == 1) {
      constexpr size_t kLine = 64;
      const uintptr_t begin = reinterpret_cast<uintptr_t>(next_) + static_cast<size_t>(step) * slice_;
      for (uintptr_t p = begin & ~uintptr_t{kLine - 1}; p < begin + slice_; p += kLine) {
        _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0);
      }
    }
  }

 private:
  const uint8_t* next_;
  size_t slice_;
};

}  // namespace
}  // namespace rocmforge::quant::detail
