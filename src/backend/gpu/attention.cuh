// Paged causal attention, grouped-query aware, in one kernel for prefill and
// decode: a block takes one token, one KV head and up to kAttnHeads of the
// query heads that share it (so K and V are read once for the group), and
// one range of keys (a split). Its warps take keys in turn, each keeping an
// online softmax per head (the CPU's order of updates, scores in F32, the
// query rounded as the CPU's dot for the K type reads it: to F16 or BF16 for
// those caches, to Q8_0 for a Q8_0 cache; Q8_0 rows dequantised in registers); the
// warps then merge in shared memory. With several splits (decode, where tokens x heads alone would not
// fill the GPU) a second kernel merges the splits' partial sums. On CUDA,
// outside the batch-invariant mode, F16 and BF16 caches (K and V alike) of 64
// or 128 dims go to the tensor-core kernels instead (attention_mma.cuh,
// attention_decode_mma.cuh).
#pragma once

#include <algorithm>
#include <cstdint>

#include "backend/backend.h"
#include "backend/gpu/attention_plan.h"
#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

inline constexpr int kAttnThreads = 128;
inline constexpr int kAttnHeads = 4;

struct AttentionArgs {
  const float* q = nullptr;  // [n_tokens, q_stride], head h at h * head_dim
  int64_t q_stride = 0;
  const void* k_cache = nullptr;  // [n_slots, n_head_kv, head_dim] in k_row_bytes rows
  const void* v_cache = nullptr;  // [n_slots, n_head_kv, head_dim_v] in v_row_bytes rows
  size_t k_row_bytes = 0;
  size_t v_row_bytes = 0;
  const int32_t* positions = nullptr;     // [n_tokens]
  const int32_t* token_seq = nullptr;     // [n_tokens]
  const int32_t* block_tables = nullptr;  // [n_seqs, max_blocks]
  int32_t max_blocks = 0;
  int32_t block_size = 0;
  int64_t n_blocks = 0;
  int32_t n_tokens = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;
  int32_t head_dim_v = 0;
  int32_t head_groups = 0;  // blocks per KV head: ceil(gqa / kAttnHeads)
  float scale = 1.0f;       // already divided by softcap when soft-capping
  float softcap = 0.0f;
  int64_t window = 0;
  int32_t n_splits = 1;
  int32_t keys_per_split = 0;  // 0: each row's own, row_split_keys()
  bool decode_wide = false;    // the decode kernel's wide blocks (attention_decode_mma.cuh)
  bool cluster = false;        // the decode kernel's splits merge in a cluster, not in part_acc (ditto)
  float* out = nullptr;  // [n_tokens, out_stride], head h at h * head_dim_v
  int64_t out_stride = 0;
  // The prefill tensor-core kernel (attention_mma.cuh) only: also out rounded
  // to F16 here, [n_tokens, out_f16_stride] halves, for the matmul that reads
  // it; out may then be null.
  uint16_t* out_f16 = nullptr;
  int64_t out_f16_stride = 0;
  float* part_acc = nullptr;   // [n_tokens, n_head, n_splits, head_dim_v] when n_splits > 1
  float2* part_ms = nullptr;   // [n_tokens, n_head, n_splits] (max, sum)
  uint32_t* error_flag = nullptr;
};

// Floats of partial results needed for `n_splits` splits (acc, then ms as float pairs).
int64_t attention_partial_floats(int64_t n_tokens, int64_t n_head, int64_t n_splits, int64_t head_dim_v);

// Batch-invariant splits: a row's keys split by its own key count alone, into
// at most kRowSplits ranges of whole 32-key tiles, at least kRowSplitKeys
// each, so that its sums come out the same in any step. A row of up to
// kRowSplitKeys keys has one live split, which the merge passes through
// unchanged (its weight is exp(0) = 1), so it matches an unsplit launch.
inline constexpr int32_t kRowSplits = 8;
inline constexpr int64_t kRowSplitKeys = 256;
__host__ __device__ inline int64_t row_split_keys(int64_t n_keys) {
  const int64_t per = ((n_keys + kRowSplits - 1) / kRowSplits + 31) / 32 * 32;
  return per > kRowSplitKeys ? per : kRowSplitKeys;
}
// The grid's splits for rows of up to max_keys keys under row_split_keys.
int32_t attention_row_splits(int64_t max_keys);

// Whether a slot's address fits the tensor-core kernels' 32-bit arithmetic
// (attention_mma.cu, attention_decode_mma.cu): a block's bytes and the block
// count in 32 bits, the block widened in one multiply.
inline bool kv_slots_fit_32bit(const AttentionArgs& a) {
  return static_cast<uint64_t>(a.block_size) * std::max(a.k_row_bytes, a.v_row_bytes) <= UINT32_MAX &&
         a.n_blocks <= INT32_MAX;
}

// The keys [begin, end) that split `split` of the row at position `pos`
// attends to: its window's, cut by keys_per_split (begin >= end: none).
struct KeyRange {
  int64_t begin;
  int64_t end;
};
__device__ __forceinline__ KeyRange split_key_range(const AttentionArgs& a, int64_t pos, int64_t split) {
  const int64_t n_keys = pos + 1;
  const int64_t first = a.window > 0 ? max(int64_t{0}, n_keys - a.window) : 0;
  const int64_t per = a.keys_per_split > 0 ? a.keys_per_split : row_split_keys(n_keys);
  return {max(first, split * per), min(n_keys, (split + 1) * per)};
}

// Launches the attention (and the merge when args.n_splits > 1) on a device
// whose warps are `warp_size` wide.
Status launch_attention(const AttentionArgs& args, KvTypes cache_types, int warp_size, rt::Stream stream);

// A head's row of BlockPartials::acc is kPartialsPad floats longer than its
// dims: the decode stash writes the rows of heads 2 tq (+ 1) at once, and
// rows a multiple of 32 floats long would put the four tq on one bank.
inline constexpr int kPartialsPad = 4;

// The online softmax states of a block's kWarps warps for kHeads query
// heads: max (natural-log units), sum of weights, unnormalised values.
template <int kWarps, int kHeads, int kMaxD>
struct BlockPartials {
  float acc[kWarps][kHeads][kMaxD + kPartialsPad];
  float m[kWarps][kHeads];
  float s[kWarps][kHeads];
  // Filled by store_block_partials: each warp's weight e^(m - M) per head,
  // and the head's M and its sum of weights.
  float f[kWarps][kHeads];
  float big[kHeads];
  float sum[kHeads];
};

// Fills sm's f, big and sum for heads [0, nh): a head's weights are worked
// out once (by thread g for head g), not by each of its dims' threads. All
// threads of the block call it; a barrier ends it.
template <int kWarps, int kHeads, int kMaxD>
__device__ __forceinline__ void weigh_warps(BlockPartials<kWarps, kHeads, kMaxD>& sm, int nh) {
  if (static_cast<int>(threadIdx.x) < nh) {
    const int g = static_cast<int>(threadIdx.x);
    float big = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) big = fmaxf(big, sm.m[w][g]);
    float sum = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float f = sm.m[w][g] == -INFINITY ? 0.0f : expf(sm.m[w][g] - big);
      sm.f[w][g] = f;
      sum += sm.s[w][g] * f;
    }
    sm.big[g] = big;
    sm.sum[g] = sum;
  }
  __syncthreads();
}

// Head g's value dim d summed over the warps with weigh_warps' weights.
template <int kWarps, int kHeads, int kMaxD>
__device__ __forceinline__ float warps_value(const BlockPartials<kWarps, kHeads, kMaxD>& sm, int g, int d) {
  float value = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) value += sm.acc[w][g][d] * sm.f[w][g];
  return value;
}

// Merges the warps' states of token t's heads [h0, h0 + nh) and writes
// them: the normalised rows with one split, else split blockIdx.x's partial
// sums for attention_merge_kernel. Called by all kThreads of the block.
template <int kThreads, int kWarps, int kHeads, int kMaxD>
__device__ __forceinline__ void store_block_partials(const AttentionArgs& a, BlockPartials<kWarps, kHeads, kMaxD>& sm,
                                                     int64_t t, int h0, int nh) {
  static_assert(kHeads <= kThreads, "a thread a head");
  weigh_warps(sm, nh);
  for (int idx = threadIdx.x; idx < nh * a.head_dim_v; idx += kThreads) {
    const int g = idx / a.head_dim_v;
    const int d = idx % a.head_dim_v;
    const float value = warps_value(sm, g, d);
    const int h = h0 + g;
    const float sum = sm.sum[g];
    if (a.n_splits == 1) {
      const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
      a.out[t * a.out_stride + static_cast<int64_t>(h) * a.head_dim_v + d] = value * inv;
    } else {
      const int64_t part = (t * a.n_head + h) * a.n_splits + blockIdx.x;
      a.part_acc[part * a.head_dim_v + d] = value;
      if (d == 0) a.part_ms[part] = make_float2(sm.big[g], sum);
    }
  }
}

// Merges the splits' partial sums (part_acc, part_ms) into out: after a
// kernel that wrote them for args.n_splits > 1.
Status launch_attention_merge(const AttentionArgs& args, rt::Stream stream);

// The main kernel for heads of up to kMaxD dims: defined in attention_d<kMaxD>.cu.
template <int kMaxD>
Status launch_attention_d(const AttentionArgs& args, KvTypes cache_types, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
