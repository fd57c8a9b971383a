// Activation conversion: dispatch, and the scalar model of llama.cpp's x86
// quantize_row_q8_0 / quantize_row_q8_1 (AVX2), used on CPUs without AVX2.
#include "quant/activations.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/isa_kernels.h"
#include "quant/reference.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

// d = amax / 127 and q = round_half_even(x * (127 / amax)), the x86 path's
// arithmetic (the reference multiplies by 1 / d and rounds half away from zero).
// Returns d and writes the sum of the quants.
float quantize_block_x86(const float* x, int8_t* q, int& sum) {
  float amax = 0.0f;
  for (int j = 0; j < kBlockElems; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
  sum = 0;
  for (int j = 0; j < kBlockElems; ++j) {
    q[j] = static_cast<int8_t>(std::nearbyint(x[j] * id));
    sum += q[j];
  }
  return amax / 127.0f;
}

void quantize_q8_0_scalar(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_0*>(out);
  for (int64_t i = 0; i < n / kBlockElems; ++i, x += kBlockElems) {
    int sum;
    blocks[i].d = fp32_to_fp16(quantize_block_x86(x, blocks[i].qs, sum));
  }
}

void quantize_q8_1_scalar(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<BlockQ8_1*>(out);
  for (int64_t i = 0; i < n / kBlockElems; ++i, x += kBlockElems) {
    int sum;
    const float d = quantize_block_x86(x, blocks[i].qs, sum);
    blocks[i].d = fp32_to_fp16(d);
    blocks[i].s = fp32_to_fp16(d * static_cast<float>(sum));
  }
}

void quantize_scalar(GgmlType act_type, const float* x, void* out, int64_t n) {
  auto* h = static_cast<uint16_t*>(out);
  switch (act_type) {
    case GgmlType::kQ8_0:
      return quantize_q8_0_scalar(x, out, n);
    case GgmlType::kQ8_1:
      return quantize_q8_1_scalar(x, out, n);
    case GgmlType::kQ8_K:
      return quantize_row(GgmlType::kQ8_K, x, out, n);
    case GgmlType::kF16:
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(x[i]);
      return;
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(x[i]);
      return;
    default:
      assert(act_type == GgmlType::kF32);
      std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float));
  }
}

void quantize_avx2(GgmlType act_type, const float* x, void* out, int64_t n) {
  switch (act_type) {
    case GgmlType::kQ8_0:
      return detail::quantize_q8_0_avx2(x, out, n);
    case GgmlType::kQ8_1:
      return detail::quantize_q8_1_avx2(x, out, n);
    case GgmlType::kQ8_K:  // llama.cpp's x86 quantize_row_q8_K is the reference code
      return quantize_row(GgmlType::kQ8_K, x, out, n);
    case GgmlType::kF16:
      return detail::convert_f32_to_f16_avx2(x, static_cast<uint16_t*>(out), n);
    case GgmlType::kBF16:
      return detail::convert_f32_to_bf16_avx2(x, static_cast<uint16_t*>(out), n);
    default:
      assert(act_type == GgmlType::kF32);
      std::memcpy(out, x, static_cast<size_t>(n) * sizeof(float));
  }
}

}  // namespace

void quantize_activations(GgmlType act_type, const float* x, void* out, int64_t n) {
  quantize_activations(act_type, x, out, n, best_isa());
}

void quantize_activations(GgmlType act_type, const float* x, void* out, int64_t n, Isa isa) {
  assert(isa_available(isa));
  // AVX-512 has nothing to add to a conversion this cheap: it uses the AVX2 code.
  if (isa == Isa::kScalar) {
    quantize_scalar(act_type, x, out, n);
  } else {
    quantize_avx2(act_type, x, out, n);
  }
}

}  // namespace rocmforge::quant
