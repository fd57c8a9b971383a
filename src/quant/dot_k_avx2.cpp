// AVX2 dot tiles of the 256-element types (AVX2 + FMA + F16C, built with
// those flags; see isa_kernels.h for what this file may include): the
// drivers of kquant_tile.h with at most 4 integer accumulators a tile (16
// registers).
#include <immintrin.h>

#include "quant/isa_kernels.h"
#include "quant/kquant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

struct Avx2 {
  static constexpr int kMaxAcc = 4;  // 16 registers
  static __m256i scaled_sum(__m256i acc, __m256i pairs, __m256i scales) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, scales));
  }
};

}  // namespace

DotTileFn avx2_k_dot_tile(gguf::GgmlType weight_type, Routes routes) {
  return tile_for_k_type<KSets<Avx2>>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
