// Paged causal attention, grouped-query aware, in one kernel for prefill and
// decode: a block takes one token, one KV head and up to kAttnHeads of the
// query heads that share it (so K and V are read once for the group), and
// one range of keys (a split). Its warps take keys in turn, each keeping an
// online softmax per head (the CPU's order of updates, scores in F32, the
// query rounded as the CPU's dot for the K type reads it: to F16 for an F16
// cache, to Q8_0 for a Q8_0 cache; Q8_0 rows dequantised in registers); the
// warps then merge in shared memory. With several splits (decode, where tokens x heads alone would not
// fill the GPU) a second kernel merges the splits' partial sums.
#pragma once

#include <cstdint>

#include "backend/backend.h"
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
  float* out = nullptr;  // [n_tokens, out_stride], head h at h * head_dim_v
  int64_t out_stride = 0;
  float* part_acc = nullptr;   // [n_tokens, n_head, n_splits, head_dim_v] when n_splits > 1
  float2* part_ms = nullptr;   // [n_tokens, n_head, n_splits] (max, sum)
  uint32_t* error_flag = nullptr;
};

// Floats of partial results needed for `n_splits` splits (acc, then ms as float pairs).
int64_t attention_partial_floats(int64_t n_tokens, int64_t n_head, int64_t n_splits, int64_t head_dim_v);

// The number of splits for a step: enough blocks to fill `n_sms`
// multiprocessors, at least 128 keys each. It depends only on shapes, so a
// replayed graph of the step stays valid.
int32_t attention_splits(int64_t n_tokens, int64_t n_head_kv, int64_t head_groups, int64_t max_keys, int n_sms);

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

// Launches the attention (and the merge when args.n_splits > 1) on a device
// whose warps are `warp_size` wide.
Status launch_attention(const AttentionArgs& args, KvTypes cache_types, int warp_size, rt::Stream stream);

// The main kernel for heads of up to kMaxD dims: defined in attention_d<kMaxD>.cu.
template <int kMaxD>
Status launch_attention_d(const AttentionArgs& args, KvTypes cache_types, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
