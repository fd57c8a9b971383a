// How a step's attention is cut into blocks and key splits
// (attention_plan.h): host code, so every build checks the rules the H200
// runs measured, at Llama 3 8B's shape (8 KV heads of 128 dims).
#include "backend/gpu/attention_plan.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>

namespace rocmforge::backend::gpu {

void PrintTo(const DecodeMmaPlan& p, std::ostream* os) {
  *os << (p.wide ? "wide" : "narrow") << ", " << p.n_splits << " splits" << (p.cluster ? " in a cluster" : "");
}

namespace {

constexpr int64_t kHeadsKv = 8;
constexpr DecodeMmaDevice kH200{132, 232448, true};
constexpr DecodeMmaDevice kA100{108, 166912, false};

TEST(AttentionPlan, RingsAsTheKernelLaysThemOut) {
  EXPECT_EQ(decode_mma_ring_bytes(128, kDecodeMmaWideWarps), 196608);  // one block a multiprocessor
  EXPECT_EQ(decode_mma_ring_bytes(64, kDecodeMmaWideWarps), 98304);
  EXPECT_EQ(decode_mma_ring_bytes(128, kDecodeMmaWarps), 49152);  // four a multiprocessor
}

// One sequence on the H200: no split while the table holds 256 keys, then
// 256-key splits in a cluster up to 1,024-key tables, 512-key ones beyond,
// then 1,024-key splits once a cluster cannot hold the 512-key ones, and
// outside a cluster past kDecodeMmaClusterSplits.
TEST(AttentionPlan, OneSequenceSplitsItsKeysInAClusterAsTheTableGrows) {
  const struct {
    int64_t max_keys;
    DecodeMmaPlan want;
  } cases[] = {
      {256, {true, 1, false}},    {512, {true, 2, true}},    {944, {true, 4, true}},
      {1024, {true, 4, true}},    {1680, {true, 4, true}},   {4096, {true, 8, true}},
      {8192, {true, 8, true}},    {32768, {true, 16, false}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(plan_attention_decode_mma(1, kHeadsKv, 128, c.max_keys, kH200), c.want) << c.max_keys << " keys";
  }
}

// Eight sequences still take wide blocks (64 of them, at most half the
// multiprocessors), with no more splits than fill one wave; nine take
// narrow blocks, split as the split-K kernel would be.
TEST(AttentionPlan, MoreSequencesTakeFewerSplitsThenNarrowBlocks) {
  EXPECT_EQ(plan_attention_decode_mma(8, kHeadsKv, 128, 656, kH200), (DecodeMmaPlan{true, 2, true}));
  EXPECT_EQ(plan_attention_decode_mma(9, kHeadsKv, 128, 656, kH200),
            (DecodeMmaPlan{false, attention_splits(9, kHeadsKv, 1, 656, 132), false}));
  EXPECT_EQ(attention_splits(9, kHeadsKv, 1, 656, 132), 4);
}

// A device without clusters, whose blocks cannot hold a wide ring of
// 128-dim rows (sm_80): narrow blocks; 64-dim rows fit, split without a cluster.
TEST(AttentionPlan, WithoutClustersOrRoomWideBlocksFallBack) {
  EXPECT_EQ(plan_attention_decode_mma(1, kHeadsKv, 128, 656, kA100), (DecodeMmaPlan{false, 1, false}));
  EXPECT_EQ(plan_attention_decode_mma(1, kHeadsKv, 64, 656, kA100), (DecodeMmaPlan{true, 1, false}));
  EXPECT_EQ(plan_attention_decode_mma(1, kHeadsKv, 64, 2048, kA100), (DecodeMmaPlan{true, 2, false}));
}

// Whatever the shape: a cluster holds 2 to kDecodeMmaClusterSplits splits,
// wide blocks and their splits fit one wave, and every plan has a split.
TEST(AttentionPlan, EveryPlanFitsTheDevice) {
  for (const DecodeMmaDevice& dev : {kH200, kA100}) {
    for (int64_t tokens = 1; tokens <= 20; ++tokens) {
      for (int64_t keys = 16; keys <= 131072; keys = keys * 3 / 2 + 16) {
        for (int32_t dim : {64, 128}) {
          const DecodeMmaPlan p = plan_attention_decode_mma(tokens, kHeadsKv, dim, keys, dev);
          const std::string where = std::to_string(tokens) + " tokens, " + std::to_string(keys) + " keys";
          EXPECT_GE(p.n_splits, 1) << where;
          if (p.cluster) {
            EXPECT_TRUE(dev.clusters && p.wide) << where;
            EXPECT_GE(p.n_splits, 2) << where;
            EXPECT_LE(p.n_splits, kDecodeMmaClusterSplits) << where;
          }
          if (p.wide) {
            EXPECT_LE(p.n_splits * tokens * kHeadsKv, dev.n_sms) << where;
          }
        }
      }
    }
  }
}

// The split-K kernel: unsplit while the step's blocks hold at most 8,192
// keys in all, never below 128 keys a split, about two blocks a multiprocessor.
TEST(AttentionPlan, SplitKSplitsByTheStepsBlocksAndKeys) {
  EXPECT_EQ(attention_splits(1, kHeadsKv, 1, 1024, 132), 1);  // 8,192 keys in all
  EXPECT_EQ(attention_splits(1, kHeadsKv, 1, 1040, 132), 9);  // 264 blocks would be 33 splits: 9 of 128 keys
  EXPECT_EQ(attention_splits(64, kHeadsKv, 1, 4096, 132), 1);  // 512 blocks already fill the device
  EXPECT_EQ(attention_splits(2, kHeadsKv, 1, 100000, 132), 17);
}

}  // namespace
}  // namespace rocmforge::backend::gpu
