#include "backend/cpu/vec_ops.h"

#include <cmath>

#include "core/cpu_features.h"
#include "quant/half.h"

namespace rocmforge::backend::cpu {
namespace {

void mad_f32(float* y, const float* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i] * s;
}
void scale_f32(float* y, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] *= s;
}
void mad_f16(uint16_t* y, const uint16_t* x, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    y[i] = quant::fp32_to_fp16(quant::fp16_to_fp32(y[i]) + quant::fp16_to_fp32(x[i]) * s);
  }
}
void scale_f16(uint16_t* y, float s, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = quant::fp32_to_fp16(quant::fp16_to_fp32(y[i]) * s);
}
void swiglu(float* y, const float* x, const float* g, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + std::exp(-x[i])) * g[i];
}
double exp_sum(float* y, const float* x, float max, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    y[i] = std::exp(x[i] - max);
    sum += static_cast<double>(y[i]);
  }
  return sum;
}

// std::fma without the instruction is a (slow, exact) library call; only
// CPUs without FMA take this path.
void rope_rotate(float* x, const float* cos_sin, int64_t n_rot, int64_t half) {
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

float dot_f16(const uint16_t* x, const uint16_t* y, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(quant::fp16_to_fp32(x[i]) * quant::fp16_to_fp32(y[i]));
  return static_cast<float>(sum);
}

float dot_f32(const float* x, const float* y, int64_t n) {
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * y[i]);
  return static_cast<float>(sum);
}

}  // namespace

const VecOps& vec_ops_scalar() {
  static constexpr VecOps ops{mad_f32, scale_f32, mad_f16, scale_f16, swiglu, exp_sum, rope_rotate, dot_f16, dot_f32};
  return ops;
}

const VecOps& vec_ops() {
  static const VecOps& best = core::cpu_features().has_avx512() ? vec_ops_avx512()
                              : core::cpu_features().has_avx2() ? vec_ops_avx2()
                                                                : vec_ops_scalar();
  return best;
}

}  // namespace rocmforge::backend::cpu
