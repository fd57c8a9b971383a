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

// Quantised weights stay on the matrix-vector kernel up to this many tokens
// in the default mode (gemm_min_tokens): its 4-token pass reads each weight
// once for all of them and beats both GEMMs there (bench/RESULTS-gpu-runs-69-86.md, run 83).
inline constexpr int64_t kQuantMatvecMaxTokens = 4;

// From there to this many tokens the default mode's Q4_0 and Q8_0 products
// take the int8 GEMM (gemm_q8_kernel.cuh: blocks of 64 rows, Q, K and V or
// gate and up joined in one launch): on the H200, llama3-8b Q4_0 at 8 / 16 /
// 32 sequences 2,036 / 3,584 / 5,667 tokens/s on the GEMM on F16 activations,
// 2,400 / 3,896 / 5,198 on it; Q8_0 1,823 / 3,218 / 5,300 against 1,974 /
// 3,314 / 4,897 (bench/RESULTS-gpu-runs-107-124.md, run 109). Q4_0 goes on to
// 32 tokens since the 32-token blocks were sized for 4 a multiprocessor: x24
// 4,531 -> 4,582, x32 5,690 -> 5,802 (bench/RESULTS-gpu-runs-125-134.md,
// run 128); Q8_0's stages did not change with that, and there it lost 5.7%
// at x32 (run 130).
constexpr int64_t q8_variant_max_tokens(gguf::GgmlType type) { return type == gguf::GgmlType::kQ4_0 ? 32 : 16; }

// The default (variant) mode's token counts for the kernel, instead of the
// int8 GEMM: from past q8_variant_max_tokens to below where the BLAS on F16
// copies takes over (kF16CopyMinTokens). On the H200, llama3-8b Q4_0
// batched decode went 1,901 -> 1,957 tokens/s at 8 sequences and 5,046 ->
// 5,516 at 32 (bench/RESULTS-gpu-runs-15-32.md, run 30) when the int8 GEMM's
// blocks were 128 rows, its products one launch each. Outputs then carry the
// F16 activations' rounding, as the BLAS's do.
constexpr TokenRange a16_variant_tokens(gguf::GgmlType type) { return {q8_variant_max_tokens(type) + 1, 63}; }

// Within that range, a weight with an F16 copy goes to the BLAS past this
// many tokens: the kernel's 64-token variant (33 tokens and more) costs more
// than reading the copy, with Q, K and V (gate and up) one BLAS product
// each. On the H200, llama3-8b Q4_0 at 48 sequences went 6,516 -> 7,492
// tokens/s; 32 stay (5,602 on the kernel, 5,440 on the BLAS; bench/RESULTS-gpu-runs-87-98.md, run 89).
inline constexpr int64_t kA16CopyHandoverTokens = 32;

// Weights of at most this many elements (llama3-8b's Q, K, V and O) go to
// the BLAS on their copy from kA16SmallCopyTokens tokens: the kernel's
// fixed costs (its pipeline's first stages, split K's partial sums) weigh
// most on them. Run 77's x32 trace: Q+K+V 17.8 us and O 13.5 on the kernel,
// against 15.9 and 8.1 through the BLAS at 64 tokens (run 87). Measured in
// run 93 (bench/RESULTS-gpu-runs-87-98.md): x24 +1.7%, x32 +1.5%, x16 level.
inline constexpr int64_t kA16SmallWeightElements = int64_t{1} << 24;
inline constexpr int64_t kA16SmallCopyTokens = 24;

// The batch-invariant mode's generated rows of Q4_0 and Q8_0 weights take
// the kernel for a process whose steps decode at most this many sequences;
// beyond it, the BLAS on the F16 copies (when the weights have them). On the
// H200 (bench/RESULTS-gpu-runs-15-32.md, runs 25 and 29) the kernel gave llama3-8b Q4_0
// 258 / 1,960 / 5,380 / 7,261 tokens/s at 1 / 8 / 32 / 64 sequences, the
// copies' BLAS 175 / 1,394 / 4,733 / 8,110.
inline constexpr int64_t kA16InvariantMaxRows = 32;

// Whether the batch-invariant mode's generated rows take the kernel, for a
// process decoding at most decode_rows sequences a step (0: not known).
constexpr bool a16_for_invariant_rows(int64_t decode_rows, bool has_copy) {
  return !has_copy || decode_rows <= kA16InvariantMaxRows;
}

}  // namespace rocmforge::backend::gpu
