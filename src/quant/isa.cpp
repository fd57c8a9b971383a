#include "quant/isa.h"

#include "core/cpu_features.h"

namespace rocmforge::quant {

bool isa_available(Isa isa) {
  const core::CpuFeatures& f = core::cpu_features();
  switch (isa) {
    case Isa::kScalar:
      return true;
    case Isa::kAvx2:
      return f.has_avx2();
    case Isa::kAvx512:
      return f.has_avx512() && f.avx512vnni;
  }
  return false;
}

Isa best_isa() {
  static const Isa best = isa_available(Isa::kAvx512) ? Isa::kAvx512
                          : isa_available(Isa::kAvx2) ? Isa::kAvx2
                                                      : Isa::kScalar;
  return best;
}

std::string_view isa_name(Isa isa) {
  switch (isa) {
    case Isa::kScalar:
      return "scalar";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

}  // namespace rocmforge::quant
