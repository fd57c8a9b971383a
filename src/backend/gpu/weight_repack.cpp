#include "backend/gpu/weight_repack.h"

#include <cstring>

#include "backend/gpu/weight_layout.h"
#include "quant/blocks.h"
#include "quant/blocks_k.h"

namespace rocmforge::backend::gpu {
namespace {

using gguf::GgmlType;

// Copies the fields of each 32-element block of one row into their regions.
template <class Block>
void split_row(const Block* blocks, int64_t nb, GgmlType type, std::byte* dst) {
  const RowRegions r = row_regions(type, nb);
  const BlockRegions b = block_regions(type);
  for (int64_t i = 0; i < nb; ++i) {
    const Block& blk = blocks[i];
    std::memcpy(dst + r.qs + static_cast<size_t>(i * b.qs), blk.qs, static_cast<size_t>(b.qs));
    if constexpr (requires { blk.qh; }) {
      std::memcpy(dst + r.qh + static_cast<size_t>(i * b.qh), blk.qh, static_cast<size_t>(b.qh));
    }
    std::byte* scale = dst + r.scale + static_cast<size_t>(i * b.scale);
    std::memcpy(scale, &blk.d, sizeof(uint16_t));
    if constexpr (requires { blk.m; }) std::memcpy(scale + sizeof(uint16_t), &blk.m, sizeof(uint16_t));
  }
}

// The quants of one 256-element block, element by element: low bits and high bits.
struct Planes {
  uint8_t lo[quant::kSuperElems];
  uint8_t hi[quant::kSuperElems];
};

// Per 256-element type: its quants in ggml's element order (blocks_k.h).
void two_bit_low(const uint8_t* qs, Planes& p) {  // Q2_K, Q3_K
  for (int e = 0; e < quant::kSuperElems; ++e) p.lo[e] = (qs[32 * (e / 128) + e % 32] >> (2 * ((e / 32) % 4))) & 3;
}
void nibble_low(const uint8_t* qs, Planes& p) {  // Q4_K, Q5_K
  for (int e = 0; e < quant::kSuperElems; ++e) p.lo[e] = (qs[32 * (e / 64) + e % 32] >> (4 * ((e / 32) % 2))) & 0xF;
}
void bit_high(const uint8_t* bits, Planes& p) {  // Q3_K's hmask, Q5_K's qh: bit e / 32 of byte e % 32
  for (int e = 0; e < quant::kSuperElems; ++e) p.hi[e] = (bits[e % 32] >> (e / 32)) & 1;
}
void planes(const quant::BlockQ2_K& b, Planes& p) { two_bit_low(b.qs, p); }
void planes(const quant::BlockQ3_K& b, Planes& p) {
  two_bit_low(b.qs, p);
  bit_high(b.hmask, p);
}
void planes(const quant::BlockQ4_K& b, Planes& p) { nibble_low(b.qs, p); }
void planes(const quant::BlockQ5_K& b, Planes& p) {
  nibble_low(b.qs, p);
  bit_high(b.qh, p);
}
void planes(const quant::BlockQ6_K& b, Planes& p) {
  for (int e = 0; e < quant::kSuperElems; ++e) {
    const int h = e / 128;
    const int s = (e / 32) % 4;
    const int l = e % 32;
    p.lo[e] = (b.ql[64 * h + 32 * (s & 1) + l] >> (4 * (s / 2))) & 0xF;
    p.hi[e] = (b.qh[32 * h + l] >> (2 * s)) & 3;
  }
}
void planes(const quant::BlockIQ4_XS& b, Planes& p) {
  for (int e = 0; e < quant::kSuperElems; ++e) {
    const int j = e % 32;
    p.lo[e] = (b.qs[16 * (e / 32) + j % 16] >> (j < 16 ? 0 : 4)) & 0xF;
  }
}

// The sub-block scale bytes, then the block scales (d, then dmin where there is one).
template <class Block>  // the K-quants
void scales(const Block& b, std::byte* sub, std::byte* scale) {
  std::memcpy(sub, b.scales, sizeof(b.scales));
  std::memcpy(scale, &b.d, 2);
  if constexpr (requires { b.dmin; }) std::memcpy(scale + 2, &b.dmin, 2);
}
void scales(const quant::BlockIQ4_XS& b, std::byte* sub, std::byte* scale) {
  std::memcpy(sub, &b.scales_h, 2);
  std::memcpy(sub + 2, b.scales_l, sizeof(b.scales_l));
  std::memcpy(scale, &b.d, 2);
}

// One unit's `bits`-bit plane (weight_layout.h): element 4i + k in byte k of
// word i % bits, at bit bits * (i / bits).
void pack_plane(const uint8_t* values, int bits, std::byte* out) {
  uint32_t words[4] = {};
  for (int e = 0; e < kQuantBlock; ++e) {
    const int i = e / 4;
    words[i % bits] |= static_cast<uint32_t>(values[e]) << (bits * (i / bits) + 8 * (e % 4));
  }
  std::memcpy(out, words, static_cast<size_t>(4 * bits));  // little-endian, as the device reads it
}

template <class Block>
void split_row_k(const Block* blocks, int64_t n_super, GgmlType type, std::byte* dst) {
  const RowRegions r = row_regions(type, n_super * kUnitsPerSuper);
  const BlockRegions b = block_regions(type);
  const int lo_bits = low_bits(type);
  const int hi_bits = high_bits(type);
  Planes p{};
  for (int64_t i = 0; i < n_super; ++i) {
    planes(blocks[i], p);
    for (int u = 0; u < kUnitsPerSuper; ++u) {
      const int64_t unit = i * kUnitsPerSuper + u;
      pack_plane(p.lo + kQuantBlock * u, lo_bits, dst + r.qs + static_cast<size_t>(unit * 4 * lo_bits));
      if (hi_bits != 0) {
        pack_plane(p.hi + kQuantBlock * u, hi_bits, dst + r.qh + static_cast<size_t>(unit * 4 * hi_bits));
      }
    }
    scales(blocks[i], dst + r.sub + static_cast<size_t>(i * b.sub), dst + r.scale + static_cast<size_t>(i * b.scale));
  }
}

template <class Block>
const Block* blocks_of(const std::byte* row) {
  return reinterpret_cast<const Block*>(row);
}

}  // namespace

bool weight_type_supported(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
      return true;
    default:
      return block_regions(type).qs != 0;
  }
}

size_t device_row_bytes(GgmlType type, int64_t cols) { return align_row(gguf::ggml_row_size(type, cols)); }

void repack_rows(GgmlType type, const std::byte* src, size_t src_stride, std::byte* dst, size_t dst_stride,
                 int64_t rows, int64_t cols) {
  const size_t file_row = gguf::ggml_row_size(type, cols);
  const int64_t nb = cols / quant::kBlockElems;
  const int64_t n_super = cols / quant::kSuperElems;
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* s = src + static_cast<size_t>(r) * src_stride;
    std::byte* d = dst + static_cast<size_t>(r) * dst_stride;
    std::memset(d + file_row, 0, dst_stride - file_row);
    switch (type) {
      case GgmlType::kQ4_0:
        split_row(blocks_of<quant::BlockQ4_0>(s), nb, type, d);
        break;
      case GgmlType::kQ4_1:
        split_row(blocks_of<quant::BlockQ4_1>(s), nb, type, d);
        break;
      case GgmlType::kQ5_0:
        split_row(blocks_of<quant::BlockQ5_0>(s), nb, type, d);
        break;
      case GgmlType::kQ5_1:
        split_row(blocks_of<quant::BlockQ5_1>(s), nb, type, d);
        break;
      case GgmlType::kQ8_0:
        split_row(blocks_of<quant::BlockQ8_0>(s), nb, type, d);
        break;
      case GgmlType::kIQ4_NL:
        split_row(blocks_of<quant::BlockIQ4_NL>(s), nb, type, d);
        break;
      case GgmlType::kQ2_K:
        split_row_k(blocks_of<quant::BlockQ2_K>(s), n_super, type, d);
        break;
      case GgmlType::kQ3_K:
        split_row_k(blocks_of<quant::BlockQ3_K>(s), n_super, type, d);
        break;
      case GgmlType::kQ4_K:
        split_row_k(blocks_of<quant::BlockQ4_K>(s), n_super, type, d);
        break;
      case GgmlType::kQ5_K:
        split_row_k(blocks_of<quant::BlockQ5_K>(s), n_super, type, d);
        break;
      case GgmlType::kQ6_K:
        split_row_k(blocks_of<quant::BlockQ6_K>(s), n_super, type, d);
        break;
      case GgmlType::kIQ4_XS:
        split_row_k(blocks_of<quant::BlockIQ4_XS>(s), n_super, type, d);
        break;
      default:  // float types keep the file's layout
        std::memcpy(d, s, file_row);
    }
  }
}

}  // namespace rocmforge::backend::gpu
