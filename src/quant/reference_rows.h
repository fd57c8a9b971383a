// The row conversions of each type behind reference.h's table: ggml's
// dequantize_row_* and quantize_row_*_ref (or what llama-quantize runs where
// that differs), `n` a multiple of the block size.
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>

namespace rocmforge::quant::rows {

// Round half to even through the float adder, as ggml's nearest_int (|x| < 2^22).
inline int nearest_int(float x) {
  const float shifted = x + 12582912.0f;
  return static_cast<int>(std::bit_cast<uint32_t>(shifted) & 0x007FFFFF) - 0x00400000;
}

using Dequantize = void(const void* src, float* dst, int64_t n);
using Quantize = void(const float* src, void* dst, int64_t n);

// The value of largest magnitude (the first on ties) and that magnitude.
struct Extreme {
  float amax = 0;
  float max = 0;
};

inline Extreme largest_magnitude(const float* x, int n) {
  Extreme e;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > e.amax) {
      e.amax = ax;
      e.max = x[i];
    }
  }
  return e;
}

Dequantize dequantize_f32, dequantize_f16, dequantize_bf16;
Quantize quantize_f32, quantize_f16, quantize_bf16;

Dequantize dequantize_q4_0, dequantize_q4_1, dequantize_q5_0, dequantize_q5_1, dequantize_q8_0, dequantize_q8_1;
Quantize quantize_q4_0, quantize_q4_1, quantize_q5_0, quantize_q5_1, quantize_q8_0, quantize_q8_1;

Dequantize dequantize_q2_k, dequantize_q3_k, dequantize_q4_k, dequantize_q5_k, dequantize_q6_k, dequantize_q8_k;
Quantize quantize_q2_k, quantize_q3_k, quantize_q4_k, quantize_q5_k, quantize_q6_k, quantize_q8_k;

Dequantize dequantize_iq4_nl, dequantize_iq4_xs;
Quantize quantize_iq4_nl, quantize_iq4_xs;

}  // namespace rocmforge::quant::rows
