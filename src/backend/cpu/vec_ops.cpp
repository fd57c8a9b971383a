#include "backend/cpu/vec_ops.h"

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

}  // namespace

const VecOps& vec_ops_scalar() {
  static constexpr VecOps ops{mad_f32, scale_f32, mad_f16, scale_f16};
  return ops;
}

const VecOps& vec_ops() {
  static const VecOps& best = core::cpu_features().has_avx512() ? vec_ops_avx512()
                              : core::cpu_features().has_avx2() ? vec_ops_avx2()
                                                                : vec_ops_scalar();
  return best;
}

}  // namespace rocmforge::backend::cpu
