// How a weight row is laid out in device memory. Quantised rows stay
// quantised but are regrouped by field ("structure of arrays"): first every
// block's packed quants, then every block's high bits, then every block's
// sub-block scales, then every block's scales. A warp then reads the quants
// of 32 consecutive 32-element units as one run of aligned 8- or 16-byte
// loads, instead of 18- to 210-byte blocks that are only 2-byte aligned (the
// K-quants' 84, 110 and 210 are not even multiples of 4). The regions hold
// the file's bits in as many bytes, so a row has the file's size, rounded up
// to 16.
//
// Region sizes per block (ggml's fields):
//   32-element blocks      qs | qh | sub | scale
//     q4_0, iq4_nl         16 |  - |  -  | d 2
//     q4_1                 16 |  - |  -  | d,m 4
//     q5_0                 16 |  4 |  -  | d 2
//     q5_1                 16 |  4 |  -  | d,m 4
//     q8_0                 32 |  - |  -  | d 2
//   256-element blocks (the kernels still work in 32-element units)
//     q2_k                 64 |  - |  16 | d,dmin 4
//     q3_k                 64 | 32 |  12 | d 2
//     q4_k                128 |  - |  12 | d,dmin 4
//     q5_k                128 | 32 |  12 | d,dmin 4
//     q6_k                128 | 64 |  16 | d 2
//     iq4_xs              128 |  - |   6 | d 2
// The 32-element types keep ggml's bytes in qs and qh. The 256-element
// types keep their sub-block scales as the file packs them (scales[];
// iq4_xs: scales_h, then scales_l), decoded in the kernels: a few integer
// operations instead of up to 3% more bytes to read per token.
// Their quants are re-sliced instead: each 32-element unit u (elements
// 32u .. 32u + 31, u < 8 per block) has its own "planes": a b-bit plane is
// b 32-bit words in which element e = 4i + k (i < 8, k < 4) sits in byte k
// of word i % b at bits b * (i / b) .. b * (i / b) + b - 1. So
// (word[i % b] >> (b * (i / b))) & (2^b - 1 in each byte) yields elements
// 4i .. 4i + 3 one per byte, ready for a 4-way int8 dot product, for every
// b. qs holds the low plane (2 bits: q2_k, q3_k; 4 bits: the others, where
// this is q4_0's nibble order), qh the high one (1 bit: q3_k's hmask,
// q5_k's 5th bit; 2 bits: q6_k's upper bits). ggml spreads a unit's bits
// over bytes it shares with up to three other units; this way a thread
// reads its own unit's bytes and nothing else.
// F32, F16 and BF16 rows are stored as in the file (padded to 16 bytes).
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

struct BlockRegions {
  int elems = 0;  // elements per block: 32, or 256 for the K-quants and IQ4_XS
  int qs = 0;     // bytes of packed quants (the low plane) per block
  int qh = 0;     // bytes of high bits per block
  int sub = 0;    // bytes of sub-block scales (and mins) per block
  int scale = 0;  // bytes of the block's scale (and min) per block
};

// The regions of a quantised type; all zero for the float types.
constexpr BlockRegions block_regions(gguf::GgmlType type) {
  switch (type) {
    case gguf::GgmlType::kQ4_0:
    case gguf::GgmlType::kIQ4_NL:
      return {32, 16, 0, 0, 2};
    case gguf::GgmlType::kQ4_1:
      return {32, 16, 0, 0, 4};
    case gguf::GgmlType::kQ5_0:
      return {32, 16, 4, 0, 2};
    case gguf::GgmlType::kQ5_1:
      return {32, 16, 4, 0, 4};
    case gguf::GgmlType::kQ8_0:
      return {32, 32, 0, 0, 2};
    case gguf::GgmlType::kQ2_K:
      return {256, 64, 0, 16, 4};
    case gguf::GgmlType::kQ3_K:
      return {256, 64, 32, 12, 2};
    case gguf::GgmlType::kQ4_K:
      return {256, 128, 0, 12, 4};
    case gguf::GgmlType::kQ5_K:
      return {256, 128, 32, 12, 4};
    case gguf::GgmlType::kQ6_K:
      return {256, 128, 64, 16, 2};
    case gguf::GgmlType::kIQ4_XS:
      return {256, 128, 0, 6, 2};
    default:
      return {};
  }
}

inline constexpr int64_t kQuantBlock = 32;  // elements per unit of every quantised kernel here
inline constexpr int64_t kSuperBlock = 256;
inline constexpr int kUnitsPerSuper = static_cast<int>(kSuperBlock / kQuantBlock);
inline constexpr size_t kRowAlign = 16;

constexpr size_t align_row(size_t bytes) { return (bytes + kRowAlign - 1) / kRowAlign * kRowAlign; }

// Quant bits per element in qs and in qh (a 32-element unit of a
// 256-element type holds 4 * bits bytes of each plane).
constexpr int low_bits(gguf::GgmlType type) {
  const BlockRegions b = block_regions(type);
  return b.elems == 0 ? 0 : b.qs * 8 / b.elems;
}
constexpr int high_bits(gguf::GgmlType type) {
  const BlockRegions b = block_regions(type);
  return b.elems == 0 ? 0 : b.qh * 8 / b.elems;
}

// Byte offsets of the regions inside one row.
struct RowRegions {
  size_t qs = 0;
  size_t qh = 0;
  size_t sub = 0;
  size_t scale = 0;
};

// For a row of `n_units` 32-element units (cols / 32, whatever the type's block size).
constexpr RowRegions row_regions(gguf::GgmlType type, int64_t n_units) {
  const BlockRegions b = block_regions(type);
  if (b.elems == 0) return {};
  const auto nb = static_cast<size_t>(n_units / (b.elems / kQuantBlock));
  const auto qs = static_cast<size_t>(b.qs);
  const auto qh = static_cast<size_t>(b.qh);
  const auto sub = static_cast<size_t>(b.sub);
  return {0, nb * qs, nb * (qs + qh), nb * (qs + qh + sub)};
}

}  // namespace rocmforge::backend::gpu
