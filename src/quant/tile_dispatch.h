// Turns a kernel templated on the tile shape into one DotTileFn: the 16
// shapes (1..4 rows x 1..4 columns) are instantiated and picked at run time.
// Kernel<R, C>::run(n, w, w_stride, a, a_stride, out, out_stride).
// tile_for_type() picks a level's kernel for a weight type.
//
// The templates sit in an anonymous namespace on purpose: every ISA file gets
// its own internal copies. With external linkage, the instantiations for the
// AVX2 and AVX-512 files would share mangled names and the linker would keep
// one of them for both.
#pragma once

#include <cstddef>
#include <cstdint>

#include "gguf/ggml_type.h"
#include "quant/dot.h"

namespace rocmforge::quant::detail {
namespace {

using ShapedTileFn = void (*)(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a, size_t a_stride,
                              float* out, size_t out_stride);

template <template <int, int> class Kernel, int R>
constexpr ShapedTileFn kTileRow[kMaxTile] = {&Kernel<R, 1>::run, &Kernel<R, 2>::run, &Kernel<R, 3>::run,
                                             &Kernel<R, 4>::run};

template <template <int, int> class Kernel>
void tile_by_shape(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t a_stride, int n_cols,
                   float* out, size_t out_stride) {
  static constexpr const ShapedTileFn* kTable[kMaxTile] = {kTileRow<Kernel, 1>, kTileRow<Kernel, 2>,
                                                           kTileRow<Kernel, 3>, kTileRow<Kernel, 4>};
  kTable[n_rows - 1][n_cols - 1](n, static_cast<const uint8_t*>(w), w_stride, static_cast<const uint8_t*>(a), a_stride,
                                 out, out_stride);
}

// Kernels: a level's kernels as member alias templates <int R, int C>, one per
// supported type.
template <class Kernels>
DotTileFn tile_for_type(gguf::GgmlType weight_type) {
  switch (weight_type) {
    case gguf::GgmlType::kF32:
      return tile_by_shape<Kernels::template F32>;
    case gguf::GgmlType::kF16:
      return tile_by_shape<Kernels::template F16>;
    case gguf::GgmlType::kBF16:
      return tile_by_shape<Kernels::template BF16>;
    case gguf::GgmlType::kQ4_0:
      return tile_by_shape<Kernels::template Q4_0>;
    case gguf::GgmlType::kQ4_1:
      return tile_by_shape<Kernels::template Q4_1>;
    case gguf::GgmlType::kQ5_0:
      return tile_by_shape<Kernels::template Q5_0>;
    case gguf::GgmlType::kQ5_1:
      return tile_by_shape<Kernels::template Q5_1>;
    case gguf::GgmlType::kQ8_0:
      return tile_by_shape<Kernels::template Q8_0>;
    default:
      return nullptr;
  }
}

}  // namespace
}  // namespace rocmforge::quant::detail
