// out[t, o] = sum_k x[t, k] * w[o, k] with quantised weights dequantised to
// F16 in registers and F16 activations (W4A16 for Q4_0, W8A16 for Q8_0, as
// Marlin): tensor cores sum F16 products in F32 over all of K, with none of
// the int8 GEMM's per-unit scaling, and batched decode reads 0.56 bytes a
// Q4_0 weight instead of the F16 copy's 2. On the H200 it beats the int8
// GEMM and the copy's BLAS up to 32 tokens; at 64 the BLAS is faster
// (gemm_a16_policy.h).
//
// Batch-invariant: a block's 64-token tile is computed as 8 independent
// tiles of 8 tokens (pairs of them wholly past the last token skipped, and
// a launch of at most 16 or 32 tokens holds only those), each summed over K
// in one fixed order, and K is split by the launch's weight shapes and the
// device alone, the slices' partial sums added in slice order. A token's
// outputs are then the same bits whatever the other tokens are and however
// many.
// The kernel (gemm_a16_kernel.cuh) is CUDA's (kHasMma); the HIP build has none.
#pragma once

#include <cstdint>

#include "backend/gpu/act_quant.cuh"
#include "backend/gpu/compat.cuh"
#include "backend/gpu/matmul.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// A block: kA16Rows weight rows by kA16Tokens tokens, over K in k-steps of kA16Step elements.
inline constexpr int64_t kA16Rows = 128;
inline constexpr int64_t kA16Tokens = 64;
inline constexpr int64_t kA16Step = 128;

// Whether launch_gemm_a16 takes w (a16_gemm_type, and the build has tensor cores).
bool gemm_a16_supports(const WeightView& w);

// Up to kMaxMatvecParts weights of one type and width over the same
// activations (Q, K and V; gate and up) go out as one launch, their row tiles
// one after another: one launch and one last-slice sum instead of three.
struct A16Args {
  MatvecPart parts[kMaxMatvecParts];
  int n_parts = 1;
  ActView x;  // [n_tokens, cols] F16 (ActFormat::kF16)
  int64_t n_tokens = 0;
  int splits = 1;                // a16_splits()
  float* partial = nullptr;      // a16_partial_bytes() when splits > 1
  uint32_t* counters = nullptr;  // a16_counter_bytes() when splits > 1
};

// Slices of K for the parts on a device of `sm_count` multiprocessors (1:
// none): a function of the weights' shapes alone, whatever the tokens.
int a16_splits(const A16Args& a, int sm_count);
// Scratch a product split `splits` ways needs: the slices' partial sums, and
// one counter per block tile, zero before the first launch (each launch
// leaves them zero again).
size_t a16_partial_bytes(const A16Args& a, int splits);
size_t a16_counter_bytes(const A16Args& a);

Status launch_gemm_a16(const A16Args& args, rt::Stream stream);

// Per-type entry points, defined in the instance files mm_a16_<type>.cu.
template <gguf::GgmlType T>
Status launch_gemm_a16_t(const A16Args& args, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
