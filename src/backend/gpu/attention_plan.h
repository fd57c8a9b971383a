// How a step's attention is cut into blocks and key splits. Host code that
// depends on the step's shape and the device's properties alone, so that a
// replayed graph of the step stays valid; plain C++, built in every
// configuration so that CPU-only CI tests it (attention_plan_test.cpp).
#pragma once

#include <cstdint>

namespace rocmforge::backend::gpu {

// The split-K kernel's splits (attention.cuh): enough blocks to fill
// `n_sms` multiprocessors, at least 128 keys each; none when the step's
// blocks hold at most 8,192 keys in all.
int32_t attention_splits(int64_t n_tokens, int64_t n_head_kv, int64_t head_groups, int64_t max_keys, int n_sms);

// The decode tensor-core kernel's block (attention_decode_mma.cuh). Warps a
// block: each takes its own steps of kDecodeMmaStepKeys keys, and the block
// merges them. Narrow blocks fill the GPU when tokens x KV heads are many;
// a step of few sequences runs in wide ones, whose warps then keep more of
// the cache's reads in flight (one sequence of Llama 3 8B has 8 blocks).
inline constexpr int kDecodeMmaWarps = 2;
inline constexpr int kDecodeMmaWideWarps = 8;
inline constexpr int kDecodeMmaStepKeys = 16;  // two n-tiles of Q.K^T, one k-step of P.V
inline constexpr int kDecodeMmaStages = 3;     // steps a warp holds in shared memory: two in flight, one computed
// A block's shared memory: each warp's ring of stages of K and V rows (F16 or BF16).
constexpr int decode_mma_ring_bytes(int head_dim, int warps) {
  return warps * kDecodeMmaStages * 2 * kDecodeMmaStepKeys * head_dim * 2;
}

// The blocks and splits of one decode step: wide blocks when the step's
// tokens x KV heads fill at most half the multiprocessors and the device
// gives a block their shared memory (192 KB at 128 dims: sm_90 does, sm_80
// does not), split so that each warp takes at most 8 steps and the blocks
// fill at most one wave; else narrow blocks split as attention_splits says.
// On the H200, Llama 3 8B Q4_0 decoded one sequence at 514-642 keys 30%
// faster in wide blocks than in narrow ones, 8 sequences 3% faster; 512-key
// splits did better at one sequence but split even empty caches and paid
// the merge kernel there (bench/RESULTS-gpu-runs-33-56.md, run 51). Where
// the device has thread block clusters (sm_90), the wide blocks' splits of
// one token and KV head, up to kDecodeMmaClusterSplits of them, run as one
// cluster and merge through each other's shared memory instead of in a
// second kernel; there splits of 512 keys pay while one cluster holds them
// (one sequence at 514-642 keys +4%, at 2,050-2,178 +5%;
// bench/RESULTS-gpu-runs-57-68.md, run 57), and of 256 keys in tables of up
// to 1,024 (bench/RESULTS.md, runs 146 and 148).
inline constexpr int32_t kDecodeMmaClusterSplits = 8;  // the portable cluster size
struct DecodeMmaPlan {
  bool wide;
  int32_t n_splits;
  bool cluster;
  bool operator==(const DecodeMmaPlan&) const = default;
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

}  // namespace rocmforge::backend::gpu
