// The x86 instruction-set levels the CPU kernels are built for, and which one
// the running processor gets. Chosen once from core::cpu_features(); a level
// the CPU lacks is never called.
#pragma once

#include <string_view>

namespace rocmforge::quant {

enum class Isa {
  kScalar,  // any x86-64
  kAvx2,    // AVX2 + FMA + F16C
  kAvx512,  // AVX-512 F/BW/VL + VNNI (AVX512_BF16 used where present)
};

// The best level this CPU runs (computed once).
Isa best_isa();

// Whether this CPU can execute code built for `isa`.
bool isa_available(Isa isa);

std::string_view isa_name(Isa isa);  // "scalar", "avx2", "avx512"

}  // namespace rocmforge::quant
