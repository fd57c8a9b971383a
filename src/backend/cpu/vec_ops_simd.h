// The AVX2 and AVX-512 VecOps share one body, written over an ISA traits type
// (vector width, load/store/fma, F16 conversions) that each ISA's translation
// unit defines, in an anonymous namespace, and instantiates with its own
// compiler flags. Nothing here calls a shared inline function: the linker could
// keep an ISA-specific copy of it for callers on CPUs without that ISA.
#pragma once

#include <cstdint>

#include "backend/cpu/vec_ops.h"

namespace rocmforge::backend::cpu {

template <class Isa>
struct SimdVecOps {
  static void mad_f32(float* y, const float* x, float s, int64_t n) {
    const auto vs = Isa::set1(s);
    int64_t i = 0;
    for (; i + Isa::kLanes <= n; i += Isa::kLanes) Isa::store(y + i, Isa::fma(Isa::load(x + i), vs, Isa::load(y + i)));
    for (; i < n; ++i) y[i] += x[i] * s;
  }

  static void scale_f32(float* y, float s, int64_t n) {
    const auto vs = Isa::set1(s);
    int64_t i = 0;
    for (; i + Isa::kLanes <= n; i += Isa::kLanes) Isa::store(y + i, Isa::mul(Isa::load(y + i), vs));
    for (; i < n; ++i) y[i] *= s;
  }

  static void mad_f16(uint16_t* y, const uint16_t* x, float s, int64_t n) {
    const auto vs = Isa::set1(s);
    int64_t i = 0;
    for (; i + Isa::kLanes <= n; i += Isa::kLanes) {
      Isa::store_f16(y + i, Isa::fma(Isa::load_f16(x + i), vs, Isa::load_f16(y + i)));
    }
    for (; i < n; ++i) y[i] = Isa::to_f16(Isa::to_f32(y[i]) + Isa::to_f32(x[i]) * s);
  }

  static void scale_f16(uint16_t* y, float s, int64_t n) {
    const auto vs = Isa::set1(s);
    int64_t i = 0;
    for (; i + Isa::kLanes <= n; i += Isa::kLanes) Isa::store_f16(y + i, Isa::mul(Isa::load_f16(y + i), vs));
    for (; i < n; ++i) y[i] = Isa::to_f16(Isa::to_f32(y[i]) * s);
  }

  static constexpr VecOps kOps{mad_f32, scale_f32, mad_f16, scale_f16};
};

}  // namespace rocmforge::backend::cpu
