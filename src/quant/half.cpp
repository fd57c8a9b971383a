// Bulk half conversions: F16C when the CPU has it, else the scalar ones.
#include "quant/half.h"

#include "quant/isa.h"
#include "quant/isa_kernels.h"

namespace rocmforge::quant {

void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  if (best_isa() != Isa::kScalar) return detail::convert_f32_to_f16_avx2(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}

void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  if (best_isa() != Isa::kScalar) return detail::convert_f16_to_f32_avx2(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}

void convert_f32_to_bf16(const float* src, uint16_t* dst, int64_t n) {
  if (best_isa() != Isa::kScalar) return detail::convert_f32_to_bf16_avx2(src, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp32_to_bf16(src[i]);
}

}  // namespace rocmforge::quant
