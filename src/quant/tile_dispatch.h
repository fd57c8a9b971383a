// Turns kernels templated on the tile shape into one DotTileFn: the 16 shapes
// (1..4 rows x 1..4 columns) are instantiated and picked at run time.
// Kernel<R, C>::run(n, w, w_stride, a, a_stride, out, out_stride).
//
// A level describes each type by a kernel set: member templates VecDot,
// Batched and Repacked <int R, int C>, one per route (route.h); a type with
// fewer kinds of kernel aliases one to another. tile_for_set() builds the
// DotTileFn whose 1-column tiles take one route and wider tiles another.
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
#include "quant/route.h"

namespace rocmforge::quant::detail {
namespace {

using ShapedTileFn = void (*)(int64_t n, const uint8_t* w, size_t w_stride, const uint8_t* a, size_t a_stride,
                              float* out, size_t out_stride);

template <class Set, Route kRoute>
struct Routed;
template <class Set>
struct Routed<Set, Route::kVecDot> {
  template <int R, int C>
  using Tile = typename Set::template VecDot<R, C>;
};
template <class Set>
struct Routed<Set, Route::kBatched> {
  template <int R, int C>
  using Tile = typename Set::template Batched<R, C>;
};
template <class Set>
struct Routed<Set, Route::kRepacked> {
  template <int R, int C>
  using Tile = typename Set::template Repacked<R, C>;
};

// 1-column tiles from Narrow, wider ones from Wide.
template <template <int, int> class Narrow, template <int, int> class Wide, int R>
constexpr ShapedTileFn kTileRow[kMaxTile] = {&Narrow<R, 1>::run, &Wide<R, 2>::run, &Wide<R, 3>::run,
                                             &Wide<R, 4>::run};

template <template <int, int> class Narrow, template <int, int> class Wide>
void tile_by_shape(int64_t n, const void* w, size_t w_stride, int n_rows, const void* a, size_t a_stride, int n_cols,
                   float* out, size_t out_stride) {
  static constexpr const ShapedTileFn* kTable[kMaxTile] = {
      kTileRow<Narrow, Wide, 1>, kTileRow<Narrow, Wide, 2>, kTileRow<Narrow, Wide, 3>, kTileRow<Narrow, Wide, 4>};
  kTable[n_rows - 1][n_cols - 1](n, static_cast<const uint8_t*>(w), w_stride, static_cast<const uint8_t*>(a), a_stride,
                                 out, out_stride);
}

template <class Set, Route kNarrow, Route kWide>
DotTileFn routed_tile() {
  return tile_by_shape<Routed<Set, kNarrow>::template Tile, Routed<Set, kWide>::template Tile>;
}

template <class Set, Route kNarrow>
DotTileFn tile_with_narrow(Route wide) {
  switch (wide) {
    case Route::kVecDot:
      return routed_tile<Set, kNarrow, Route::kVecDot>();
    case Route::kBatched:
      return routed_tile<Set, kNarrow, Route::kBatched>();
    case Route::kRepacked:
      return routed_tile<Set, kNarrow, Route::kRepacked>();
  }
  return nullptr;
}

template <class Set>
DotTileFn tile_for_set(Routes routes) {
  switch (routes.narrow) {
    case Route::kVecDot:
      return tile_with_narrow<Set, Route::kVecDot>(routes.wide);
    case Route::kBatched:
      return tile_with_narrow<Set, Route::kBatched>(routes.wide);
    case Route::kRepacked:
      return tile_with_narrow<Set, Route::kRepacked>(routes.wide);
  }
  return nullptr;
}

// A level's kernel for one of the float or 32-element block types; Sets has
// a kernel set per type: F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, IQ4_NL.
template <class Sets>
DotTileFn tile_for_block_type(gguf::GgmlType type, Routes routes) {
  switch (type) {
    case gguf::GgmlType::kF32:
      return tile_for_set<typename Sets::F32>(routes);
    case gguf::GgmlType::kF16:
      return tile_for_set<typename Sets::F16>(routes);
    case gguf::GgmlType::kBF16:
      return tile_for_set<typename Sets::BF16>(routes);
    case gguf::GgmlType::kQ4_0:
      return tile_for_set<typename Sets::Q4_0>(routes);
    case gguf::GgmlType::kQ4_1:
      return tile_for_set<typename Sets::Q4_1>(routes);
    case gguf::GgmlType::kQ5_0:
      return tile_for_set<typename Sets::Q5_0>(routes);
    case gguf::GgmlType::kQ5_1:
      return tile_for_set<typename Sets::Q5_1>(routes);
    case gguf::GgmlType::kQ8_0:
      return tile_for_set<typename Sets::Q8_0>(routes);
    case gguf::GgmlType::kIQ4_NL:
      return tile_for_set<typename Sets::IQ4_NL>(routes);
    default:
      return nullptr;
  }
}

// The same for the 256-element types: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS.
template <class Sets>
DotTileFn tile_for_k_type(gguf::GgmlType type, Routes routes) {
  switch (type) {
    case gguf::GgmlType::kQ2_K:
      return tile_for_set<typename Sets::Q2_K>(routes);
    case gguf::GgmlType::kQ3_K:
      return tile_for_set<typename Sets::Q3_K>(routes);
    case gguf::GgmlType::kQ4_K:
      return tile_for_set<typename Sets::Q4_K>(routes);
    case gguf::GgmlType::kQ5_K:
      return tile_for_set<typename Sets::Q5_K>(routes);
    case gguf::GgmlType::kQ6_K:
      return tile_for_set<typename Sets::Q6_K>(routes);
    case gguf::GgmlType::kIQ4_XS:
      return tile_for_set<typename Sets::IQ4_XS>(routes);
    default:
      return nullptr;
  }
}

}  // namespace
}  // namespace rocmforge::quant::detail
