// How a weight row is laid out in device memory. Quantised rows stay
// quantised but are regrouped by field ("structure of arrays"): first every
// block's packed quants, then every block's high bits, then every block's
// scales. A warp then reads the quants of 32 consecutive blocks as one
// 512-byte run of aligned 16-byte loads, instead of 18-byte blocks that are
// only 2-byte aligned. The bytes per row are the file's, rounded up to 16.
//
// Region sizes per 32-element block (ggml's fields, same bits):
//   q4_0: qs 16 | -      | d 2        q4_1: qs 16 | -      | d,m 4
//   q5_0: qs 16 | qh 4   | d 2        q5_1: qs 16 | qh 4   | d,m 4
//   q8_0: qs 32 | -      | d 2
// F32, F16 and BF16 rows are stored as in the file (padded to 16 bytes).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

struct BlockRegions {
  int qs = 0;     // bytes of packed quants per block
  int qh = 0;     // bytes of high bits per block
  int scale = 0;  // bytes of scale (and min) per block
};

// The regions of a quantised type; all zero for the float types.
constexpr BlockRegions block_regions(gguf::GgmlType type) {
  switch (type) {
    case gguf::GgmlType::kQ4_0:
      return {16, 0, 2};
    case gguf::GgmlType::kQ4_1:
      return {16, 0, 4};
    case gguf::GgmlType::kQ5_0:
      return {16, 4, 2};
    case gguf::GgmlType::kQ5_1:
      return {16, 4, 4};
    case gguf::GgmlType::kQ8_0:
      return {32, 0, 2};
    default:
      return {};
  }
}

inline constexpr int64_t kQuantBlock = 32;  // elements per block of every quantised type here
inline constexpr size_t kRowAlign = 16;

constexpr size_t align_row(size_t bytes) { return (bytes + kRowAlign - 1) / kRowAlign * kRowAlign; }

// Byte offsets of the regions inside one row of `n_blocks` blocks.
struct RowRegions {
  size_t qs = 0;
  size_t qh = 0;
  size_t scale = 0;
};

constexpr RowRegions row_regions(gguf::GgmlType type, int64_t n_blocks) {
  const BlockRegions b = block_regions(type);
  const size_t nb = static_cast<size_t>(n_blocks);
  return {0, nb * static_cast<size_t>(b.qs), nb * static_cast<size_t>(b.qs + b.qh)};
}

}  // namespace rocmforge::backend::gpu
