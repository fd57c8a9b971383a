// Decode attention on tensor cores (CUDA): one block takes one token, one KV
// head and one split of its keys, with every query head that shares the KV
// head (up to kDecodeMmaHeads) as the rows of one mma.m16n8k16 tile, so K
// and V are read once for the group and the group's dot products cost a
// handful of tensor-core instructions per 16 keys. It takes any batch the
// prefill kernel (attention_mma.cuh) does not, with F16 or BF16 K and V (one
// type for both) of 64 or 128 dims; the split-K kernel (attention.cuh) keeps
// the rest. The
// batch-invariant mode takes it too, each row's keys split by that row's own
// count (row_split_keys): a block's sums depend on its row and split alone.
//
// As in the prefill kernel, the softmax weights enter P.V rounded to F16
// (BF16 caches: in two BF16 parts, pack_weights in kv_mma.cuh): outputs
// differ from the CPU's by about 1e-3 relative.
#pragma once

#include "backend/gpu/attention.cuh"

namespace rocmforge::backend::gpu {

// Query heads per KV head that one block takes (two row tiles of 8).
inline constexpr int32_t kDecodeMmaHeads = 16;
// Its blocks and key splits for a step: plan_attention_decode_mma (attention_plan.h).

// Whether the device holds a cluster of kDecodeMmaClusterSplits wide blocks
// of every instance (64 and 128 dims, one and two head tiles, F16 and BF16). A device that
// launches clusters can still refuse one this large (a small MIG slice):
// there the plan must not ask for clusters, or the launch fails.
Result<bool> attention_decode_mma_clusters_fit(int max_block_smem);

// Whether launch_attention_decode_mma takes this attention.
bool attention_decode_mma_fits(const AttentionArgs& a, KvTypes types, int warp_size);

// Launches it (and the merge when a.n_splits > 1: a.part_acc and a.part_ms
// as launch_attention takes them). Each block takes all the query heads of
// its KV head: a.n_splits is for blocks of tokens x KV heads.
Status launch_attention_decode_mma(const AttentionArgs& a, KvTypes types, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
