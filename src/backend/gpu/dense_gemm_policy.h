// From how many tokens a GEMM goes through the BLAS (dense_gemm.cuh): plain
// C++, so the tests that pick their tolerance by path see it too.
#pragma once

#include <cstdint>

namespace rocmforge::backend::gpu {

// Below this, the pass that dequantises a weight to F16 costs more than the
// GEMM kernels lose to the BLAS (bench/RESULTS.md, run 5). F16 and BF16
// weights have no such pass: the BLAS takes all their GEMMs (run 9's kernel
// bench: F16 gate/up at 64 tokens 92 us in the GEMM kernel, 37 us through
// the BLAS at 128).
inline constexpr int64_t kDenseGemmMinTokens = 128;

}  // namespace rocmforge::backend::gpu
