// Scalar dot tiles of the 256-element types (K-quants, IQ4_XS).
#include "quant/isa_kernels.h"

namespace rocmforge::quant::detail {

DotTileFn scalar_k_dot_tile(gguf::GgmlType, Routes) { return nullptr; }

}  // namespace rocmforge::quant::detail
