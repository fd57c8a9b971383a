// Prefill attention on tensor cores (CUDA): tiles of 16 query tokens against
// 32 keys at a time, Q.K^T and P.V by mma.m16n8k16 with an online softmax
// per row in registers (FlashAttention-2's scheme over the paged cache). It
// takes batches of at least kAttnMmaTile tokens per sequence on average with
// F16 or BF16 K and V (one type for both) of 64 or 128 dims; decode goes to the tensor-core decode
// kernel (attention_decode_mma.cuh), whose parallelism over keys a single
// query needs.
//
// Against the split-K kernel, which keeps the CPU's arithmetic, the softmax
// weights enter P.V rounded to F16 (as in llama.cpp's CUDA flash attention;
// a BF16 V takes them in two BF16 parts, pack_weights in kv_mma.cuh):
// outputs differ from the CPU's by about 1e-3 relative.
#pragma once

#include <cstdint>

#include "backend/gpu/attention.cuh"

namespace rocmforge::backend::gpu {

inline constexpr int32_t kAttnMmaTile = 16;

// Whether launch_attention_mma can run this attention at all: its caches,
// head sizes and device, whatever the rows.
bool attention_mma_supports(const AttentionArgs& a, KvTypes types, int warp_size);
// Whether it also pays over `n_seqs` sequences: kAttnMmaTile tokens a sequence on average.
bool attention_mma_fits(const AttentionArgs& a, KvTypes types, int32_t n_seqs, int warp_size);

Status launch_attention_mma(const AttentionArgs& a, KvTypes types, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
