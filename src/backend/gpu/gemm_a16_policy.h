// Which weights and token counts go through the GEMM on F16 activations
// (gemm_a16.cuh): plain C++, so that the tests that pick their tolerance by
// path see it too.
#pragma once

#include <cstdint>

#include "gguf/ggml_type.h"

namespace rocmforge::backend::gpu {

// The weight types whose elements the kernel dequantises to F16 exactly as
// the F16 copy (dequant_f16.cu) holds them: a small integer (the quant less
// its offset) times the block's F16 scale, rounded once.
constexpr bool a16_gemm_type(gguf::GgmlType type) {
  return type == gguf::GgmlType::kQ4_0 || type == gguf::GgmlType::kQ8_0;
}

struct TokenRange {
  int64_t first = 1;
  int64_t last = 0;  // last < first: empty
  constexpr bool contains(int64_t n) const { return first <= n && n <= last; }
};

// The default (variant) mode's token counts for the kernel, instead of the
// matrix-vector kernel, the int8 GEMM or the BLAS on F16 copies: none until
// measured on the H200. Expected: {2, 127}, where it reads 0.56 bytes a Q4_0
// weight at about the memory's rate while the int8 GEMM is bound by its scale
// FMAs (21.5 us for 4096 x 4096 at 64 tokens) and the copies' BLAS reads 2
// bytes a weight; from 128 tokens the BLAS's prefill rate wins. Outputs then
// carry the F16 activations' rounding (matmul_test.cpp's BLAS tolerance).
inline constexpr TokenRange kA16VariantTokens{};

}  // namespace rocmforge::backend::gpu
