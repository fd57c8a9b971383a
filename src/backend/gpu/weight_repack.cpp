#include "backend/gpu/weight_repack.h"

#include <cstring>

#include "backend/gpu/weight_layout.h"
#include "quant/blocks.h"

namespace rocmforge::backend::gpu {
namespace {

using gguf::GgmlType;

// Copies the fields of each block of one row into their regions.
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

}  // namespace

bool weight_type_supported(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kQ8_0:
      return true;
    default:
      return false;
  }
}

size_t device_row_bytes(GgmlType type, int64_t cols) { return align_row(gguf::ggml_row_size(type, cols)); }

void repack_rows(GgmlType type, const std::byte* src, size_t src_stride, std::byte* dst, size_t dst_stride,
                 int64_t rows, int64_t cols) {
  const size_t file_row = gguf::ggml_row_size(type, cols);
  const int64_t nb = cols / quant::kBlockElems;
  for (int64_t r = 0; r < rows; ++r) {
    const std::byte* s = src + static_cast<size_t>(r) * src_stride;
    std::byte* d = dst + static_cast<size_t>(r) * dst_stride;
    std::memset(d + file_row, 0, dst_stride - file_row);
    switch (type) {
      case GgmlType::kQ4_0:
        split_row(reinterpret_cast<const quant::BlockQ4_0*>(s), nb, type, d);
        break;
      case GgmlType::kQ4_1:
        split_row(reinterpret_cast<const quant::BlockQ4_1*>(s), nb, type, d);
        break;
      case GgmlType::kQ5_0:
        split_row(reinterpret_cast<const quant::BlockQ5_0*>(s), nb, type, d);
        break;
      case GgmlType::kQ5_1:
        split_row(reinterpret_cast<const quant::BlockQ5_1*>(s), nb, type, d);
        break;
      case GgmlType::kQ8_0:
        split_row(reinterpret_cast<const quant::BlockQ8_0*>(s), nb, type, d);
        break;
      default:  // float types keep the file's layout
        std::memcpy(d, s, file_row);
    }
  }
}

}  // namespace rocmforge::backend::gpu
