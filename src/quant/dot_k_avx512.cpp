// AVX-512 dot tiles of the 256-element types (F/BW/VL + VNNI, built with
// those flags; see isa_kernels.h for what this file may include): the
// drivers of kquant_tile.h on 256-bit vectors (see dot_avx512.cpp), with 32
// registers for a 4x4 tile's integer accumulators; vpdpwssd applies the
// sub-block scales and accumulates in one instruction.
#include <immintrin.h>

#include "quant/isa_kernels.h"
#include "quant/kquant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {
namespace {

struct Avx512 {
  static constexpr int kMaxAcc = 16;  // 32 registers: a 4x4 tile keeps all its sums
  static __m256i scaled_sum(__m256i acc, __m256i pairs, __m256i scales) { return _mm256_dpwssd_epi32(acc, pairs, scales); }
};

}  // namespace

DotTileFn avx512_k_dot_tile(gguf::GgmlType weight_type, Routes routes) {
  return tile_for_k_type<KSets<Avx512>>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
