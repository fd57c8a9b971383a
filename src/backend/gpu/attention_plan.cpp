#include "backend/gpu/attention_plan.h"

#include <algorithm>

namespace rocmforge::backend::gpu {

int32_t attention_splits(int64_t n_tokens, int64_t n_head_kv, int64_t head_groups, int64_t max_keys, int n_sms) {
  constexpr int64_t kMinKeys = 128;
  // On the H200, one Llama 3 8B sequence with a 512-key cache (8 blocks)
  // decoded 2.3% faster unsplit than in 4 splits and their merge kernel; 8
  // sequences with 642-key caches lost 6% unsplit, their reads of the cache
  // then too few at a time (bench/RESULTS-gpu-runs-33-56.md, run 43).
  constexpr int64_t kUnsplitBlockKeys = 8192;
  const int64_t blocks = std::max<int64_t>(1, n_tokens * n_head_kv * head_groups);
  if (blocks * max_keys <= kUnsplitBlockKeys) return 1;
  const int64_t want = (2 * static_cast<int64_t>(n_sms) + blocks - 1) / blocks;
  const int64_t most = std::max<int64_t>(1, (max_keys + kMinKeys - 1) / kMinKeys);
  return static_cast<int32_t>(std::clamp<int64_t>(want, 1, std::min<int64_t>(most, 1024)));
}

DecodeMmaPlan plan_attention_decode_mma(int64_t n_tokens, int64_t n_head_kv, int32_t head_dim, int64_t max_keys,
                                        const DecodeMmaDevice& dev) {
  const int n_sms = dev.n_sms;
  const int64_t blocks = std::max<int64_t>(1, n_tokens * n_head_kv);
  if (2 * blocks > n_sms || decode_mma_ring_bytes(head_dim, kDecodeMmaWideWarps) > dev.max_block_smem) {
    return {false, attention_splits(n_tokens, n_head_kv, 1, max_keys, n_sms), false};
  }
  const auto splits_of = [&](int64_t keys_a_split) {
    const int64_t want = (max_keys + keys_a_split - 1) / keys_a_split;
    return static_cast<int32_t>(std::clamp<int64_t>(want, 1, std::max<int64_t>(1, n_sms / blocks)));
  };
  constexpr int64_t kWideSplitKeys = int64_t{kDecodeMmaWideWarps} * 8 * kDecodeMmaStepKeys;
  if (dev.clusters) {
    // A cluster's merge costs no launch, so splits of half the keys pay while
    // one cluster holds them (run 57), and up to kShortKeys splits of a
    // quarter: one sequence at 514-642 keys in 656-key tables +1.7% (run 146),
    // +1.5% with tables from 256 keys, where tg128's first keys stay unsplit (run 148).
    constexpr int64_t kShortKeys = 1024;
    const int32_t parts = splits_of(max_keys <= kShortKeys ? kWideSplitKeys / 4 : kWideSplitKeys / 2);
    if (parts > 1 && parts <= kDecodeMmaClusterSplits) return {true, parts, true};
  }
  const int32_t splits = splits_of(kWideSplitKeys);
  return {true, splits, dev.clusters && splits > 1 && splits <= kDecodeMmaClusterSplits};
}

}  // namespace rocmforge::backend::gpu
