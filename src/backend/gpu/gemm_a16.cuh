// out[t, o] = sum_k x[t, k] * w[o, k] with quantised weights dequantised to
// F16 in registers and F16 activations (W4A16 for Q4_0, W8A16 for Q8_0, as
// Marlin): tensor cores sum F16 products in F32 over all of K, with none of
// the int8 GEMM's per-unit scaling, so batched decode reads 0.56 bytes a
// Q4_0 weight at close to the memory's rate from 1 to 64 tokens.
//
// Batch-invariant: one kernel configuration for every token count. A
// block's 64-token tile is computed as 8 independent tiles of 8 tokens
// (pairs of them wholly past the last token skipped), each summed over K in one
// fixed order, and K is split by the weight's shape and the device alone,
// the slices' partial sums added in slice order. A token's outputs are then
// the same bits whatever the other tokens are and however many.
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

// Slices of K for w on a device of `sm_count` multiprocessors (1: none).
int a16_splits(const WeightView& w, int sm_count);
// Scratch a product of n_tokens rows split `splits` ways needs: the slices'
// partial sums, and one counter per block tile, zero before the first
// launch (each launch leaves them zero again).
size_t a16_partial_bytes(const WeightView& w, int64_t n_tokens, int splits);
size_t a16_counter_bytes(const WeightView& w, int64_t n_tokens);

struct A16Args {
  WeightView w;
  ActView x;  // [n_tokens, w.cols] F16 (ActFormat::kF16)
  int64_t n_tokens = 0;
  float* out = nullptr;  // [n_tokens, out_stride]
  int64_t out_stride = 0;
  int splits = 1;
  float* partial = nullptr;      // a16_partial_bytes() when splits > 1
  uint32_t* counters = nullptr;  // a16_counter_bytes() when splits > 1
};

Status launch_gemm_a16(const A16Args& args, rt::Stream stream);

// Per-type entry points, defined in the instance files mm_a16_<type>.cu.
template <gguf::GgmlType T>
Status launch_gemm_a16_t(const A16Args& args, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
