// From how many tokens a GEMM goes through the BLAS (dense_gemm.cuh): plain
// C++, so the tests that pick their tolerance by path see it too.
#pragma once

#include <cstdint>

namespace rocmforge::backend::gpu {

// Below this, the pass that dequantises a weight to F16 costs more than the
// GEMM kernels lose to the BLAS (bench/RESULTS-gpu-runs-1-14.md, run 5). F16 and BF16
// weights have no such pass: the BLAS takes all their GEMMs (run 9's kernel
// bench: F16 gate/up at 64 tokens 92 us in the GEMM kernel, 37 us through
// the BLAS at 128).
inline constexpr int64_t kDenseGemmMinTokens = 128;

// From how many tokens a weight with an F16 copy (GpuOptions::f16_copies)
// goes through the BLAS instead of the quantised GEMM. Run 11: F16 gate/up
// 14336 x 4096 through the BLAS 33.5 us at 32 tokens, 35.7 at 64; Q4_0 in
// the GEMM (runs 11, 14) about 25 at 32, 41 at 64 for the same rows.
inline constexpr int64_t kF16CopyMinTokens = 64;

}  // namespace rocmforge::backend::gpu
