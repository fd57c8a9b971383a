// Picks the dot kernel of a type for an instruction-set level.
#include "core/cpu_features.h"
#include "quant/dot.h"
#include "quant/isa_kernels.h"

namespace rocmforge::quant {

DotTileFn dot_tile(gguf::GgmlType weight_type) { return dot_tile(weight_type, best_isa()); }

DotTileFn dot_tile(gguf::GgmlType weight_type, Isa isa) {
  if (!isa_available(isa)) return nullptr;
  switch (isa) {
    case Isa::kScalar:
      return detail::scalar_dot_tile(weight_type);
    case Isa::kAvx2:
      return detail::avx2_dot_tile(weight_type);
    case Isa::kAvx512:
      if (weight_type == gguf::GgmlType::kBF16 && core::cpu_features().avx512bf16) {
        return detail::avx512_bf16_dot_tile();
      }
      return detail::avx512_dot_tile(weight_type);
  }
  return nullptr;
}

}  // namespace rocmforge::quant
