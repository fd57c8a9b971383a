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

// Warps a block: each takes its own steps of 16 keys, and the block merges
// them. Narrow blocks fill the GPU when tokens x KV heads are many; a step
// of few sequences runs in wide ones, whose warps then keep more of the
// cache's reads in flight (one sequence of Llama 3 8B has 8 blocks).
inline constexpr int kDecodeMmaWarps = 2;
inline constexpr int kDecodeMmaWideWarps = 8;

// The blocks and splits of one step, from its shape alone (so a replayed
// graph of the step stays valid): wide blocks when the step's tokens x KV
// heads fill at most half the multiprocessors and the device gives a block
// their shared memory (192 KB at 128 dims: sm_90 does, sm_80 does not),
// split so that each warp takes at most 8 steps and the blocks fill at most
// one wave; else narrow blocks split as attention_splits says. On the H200,
// Llama 3 8B Q4_0 decoded one sequence at 514-642 keys 30% faster in wide
// blocks than in narrow ones, 8 sequences 3% faster; 512-key splits did
// better at one sequence but split even empty caches and paid the merge
// kernel there (bench/RESULTS-gpu-runs-33-56.md, run 51). Where the device
// has thread block clusters (sm_90), the wide blocks' splits of one token
// and KV head, up to kDecodeMmaClusterSplits of them, run as one cluster
// and merge through each other's shared memory instead of in a second
// kernel; there splits of 512 keys pay while one cluster holds them (one
// sequence at 514-642 keys +4%, at 2,050-2,178 +5%; bench/RESULTS-gpu-runs-57-68.md, run 57),
// and of 256 keys in tables of up to 1,024 (bench/RESULTS.md, runs 146 and 148).
inline constexpr int32_t kDecodeMmaClusterSplits = 8;  // the portable cluster size
struct DecodeMmaPlan {
  bool wide;
  int32_t n_splits;
  bool cluster;
};
// The device's multiprocessors, the most shared memory a block may take
// (rt::max_block_smem) and whether it launches clusters (rt::clusters_supported).
struct DecodeMmaDevice {
  int n_sms;
  int max_block_smem;
  bool clusters;
};
DecodeMmaPlan plan_attention_decode_mma(int64_t n_tokens, int64_t n_head_kv, int32_t head_dim, int64_t max_keys,
                                        const DecodeMmaDevice& dev);

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
