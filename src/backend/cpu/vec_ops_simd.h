// The AVX2 and AVX-512 VecOps share one body, written over an ISA traits type
// (vector width, load/store/fma, F16 conversions) that each ISA's translation
// unit defines, in an anonymous namespace, and instantiates with its own
// compiler flags. Nothing here calls a shared inline function: the linker could
// keep an ISA-specific copy of it for callers on CPUs without that ISA.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

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

  // silu(x) = x / (1 + exp(-x)) on full vectors; libm on the tail, as ggml.
  static void swiglu(float* y, const float* x, const float* g, int64_t n) {
    int64_t i = 0;
    const auto one = Isa::set1(1.0f);
    for (; i + Isa::kLanes <= n; i += Isa::kLanes) {
      const auto v = Isa::load(x + i);
      const auto silu = Isa::div(v, Isa::add(one, Isa::exp(Isa::sub(Isa::set1(0.0f), v))));
      Isa::store(y + i, Isa::mul(silu, Isa::load(g + i)));
    }
    for (; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i])) * g[i];
  }

  static double exp_sum(float* y, const float* x, float max, int64_t n) {
    int64_t i = 0;
    double sum = 0.0;
    const auto vmax = Isa::set1(max);
    for (; i + Isa::kLanes <= n; i += Isa::kLanes) {
      const auto v = Isa::exp(Isa::sub(Isa::load(x + i), vmax));
      Isa::store(y + i, v);
      sum += static_cast<double>(Isa::reduce_add(v));
    }
    for (; i < n; ++i) {
      y[i] = std::exp(x[i] - max);
      sum += static_cast<double>(y[i]);
    }
    return sum;
  }


  // std::fma is one instruction here (the ISA files are built with FMA).
  static void rope_rotate(float* x, const float* cos_sin, int64_t n_rot, int64_t half) {
    for (int64_t i0 = 0; i0 < n_rot; i0 += 2) {
      const float c = cos_sin[i0];
      const float s = cos_sin[i0 + 1];
      float* a = half == 0 ? x + i0 : x + i0 / 2;
      float* b = half == 0 ? a + 1 : a + half;
      const float x0 = *a;
      const float x1 = *b;
      *a = std::fma(x0, c, -(x1 * s));
      *b = std::fma(x0, s, x1 * c);
    }
  }

  static constexpr int64_t kAccumulators = 4;

  template <class Load, class Element>
  static auto dot_steps(const Element* x, const Element* y, int64_t n, Load load) {
    constexpr int64_t kStep = kAccumulators * Isa::kLanes;
    typename Isa::V sum[kAccumulators] = {Isa::set1(0.0f), Isa::set1(0.0f), Isa::set1(0.0f), Isa::set1(0.0f)};
    const int64_t np = n - n % kStep;
    for (int64_t i = 0; i < np; i += kStep) {
      for (int64_t j = 0; j < kAccumulators; ++j) {
        sum[j] = Isa::fma(load(x + i + j * Isa::kLanes), load(y + i + j * Isa::kLanes), sum[j]);
      }
    }
    sum[0] = Isa::add(sum[0], sum[2]);
    sum[1] = Isa::add(sum[1], sum[3]);
    sum[0] = Isa::add(sum[0], sum[1]);
    return std::pair{Isa::reduce_dot(sum[0]), np};
  }

  static float dot_f16(const uint16_t* x, const uint16_t* y, int64_t n) {
    const auto [vec_sum, np] = dot_steps(x, y, n, [](const uint16_t* p) { return Isa::load_f16(p); });
    double sum = vec_sum;  // ggml sums the tail in double
    for (int64_t i = np; i < n; ++i) sum += static_cast<double>(Isa::to_f32(x[i]) * Isa::to_f32(y[i]));
    return static_cast<float>(sum);
  }

  static float dot_f32(const float* x, const float* y, int64_t n) {
    const auto [vec_sum, np] = dot_steps(x, y, n, [](const float* p) { return Isa::load(p); });
    float sum = vec_sum;
    for (int64_t i = np; i < n; ++i) sum = std::fma(x[i], y[i], sum);
    return sum;
  }

  static constexpr VecOps kOps{mad_f32, scale_f32, mad_f16, scale_f16, swiglu,
                               exp_sum, rope_rotate, dot_f16, dot_f32};
};

}  // namespace rocmforge::backend::cpu
