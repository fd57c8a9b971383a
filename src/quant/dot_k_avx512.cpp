// AVX-512 dot tiles of the 256-element types (F/BW/VL + VNNI, built with
// those flags; see isa_kernels.h for what this file may include): the
// drivers of kquant_tile.h on 256-bit vectors (see dot_avx512.cpp), with 32
// registers for a 4x4 tile's integer accumulators.
#include "quant/isa_kernels.h"
#include "quant/kquant_tile.h"
#include "quant/tile_dispatch.h"

namespace rocmforge::quant::detail {

DotTileFn avx512_k_dot_tile(gguf::GgmlType weight_type, Routes routes) {
  return tile_for_k_type<KSets<16>>(weight_type, routes);
}

}  // namespace rocmforge::quant::detail
