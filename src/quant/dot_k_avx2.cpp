// AVX2 dot tiles of the 256-element types (AVX2 + FMA + F16C, built with
// those flags; see isa_kernels.h for what this file may include): the
// drivers of kquant_tile.h with at most 4 integer accumulators a tile (16
// registers).
#include "quant/isa_kernels.h"
#include "quant/kquant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {

DotTileFn avx2_k_dot_tile(gguf::GgmlType weight_type, Routes routes) {
  return tile_for_k_type<KSets<4>>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
