#include "kv/block_manager.h"

#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <random>
#include <vector>

namespace rocmforge::kv {
namespace {

constexpr int32_t kBs = 4;

std::vector<int32_t> iota_tokens(int n, int32_t first = 100) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  std::iota(t.begin(), t.end(), first);
  return t;
}

// Starts `seq` on its cached prefix and computes the rest of `tokens` in one step.
void prefill(BlockManager& m, SequenceBlocks& seq, const std::vector<int32_t>& tokens) {
  m.adopt(seq, m.match(tokens));
  ASSERT_TRUE(m.reserve(seq, static_cast<int64_t>(tokens.size())));
  m.end_step();
  m.commit(seq, tokens, static_cast<int64_t>(tokens.size()));
}

TEST(BlockManager, ReservesWholeBlocksAndReleasesThem) {
  BlockManager m(8, kBs, true);
  SequenceBlocks s;
  ASSERT_TRUE(m.reserve(s, 5));
  EXPECT_EQ(s.n_blocks(), 2);
  EXPECT_EQ(m.n_available(), 6);
  EXPECT_EQ(m.reservable(s), 8 * kBs);  // nothing computed yet
  m.commit(s, iota_tokens(5), 5);
  EXPECT_EQ(s.n_computed(), 5);
  EXPECT_EQ(m.reservable(s), 3 + 6 * kBs);  // the 3 left in block 2, then 6 blocks
  m.release(s);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(m.n_available(), 8);
  EXPECT_EQ(m.n_used(), 0);
}

TEST(BlockManager, ExhaustionIsCapacityAndChangesNothing) {
  BlockManager m(3, kBs, true);
  SequenceBlocks a;
  ASSERT_TRUE(m.reserve(a, 8));
  SequenceBlocks b;
  const Status st = m.reserve(b, 8);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kCapacity);
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(m.n_available(), 1);
  EXPECT_TRUE(m.reserve(b, 4));
}

TEST(BlockManager, TwoSequencesShareACachedPrefix) {
  BlockManager m(8, kBs, true);
  const std::vector<int32_t> prompt = iota_tokens(10);  // 2 full blocks + 2 tokens
  SequenceBlocks a;
  prefill(m, a, prompt);
  EXPECT_EQ(m.n_cached(), 2);

  std::vector<int32_t> other = prompt;
  other.resize(8);
  other.insert(other.end(), {7, 7, 7});
  const PrefixMatch match = m.match(other);
  EXPECT_EQ(match.n_tokens, 8);
  ASSERT_EQ(match.blocks.size(), 2u);
  SequenceBlocks b;
  prefill(m, b, other);
  EXPECT_EQ(b.table()[0], a.table()[0]);
  EXPECT_EQ(b.table()[1], a.table()[1]);
  EXPECT_NE(b.table()[2], a.table()[2]);
  EXPECT_EQ(m.ref_count(a.table()[0]), 2);
  EXPECT_EQ(m.n_used(), 4);
}

TEST(BlockManager, CopiesASharedPartialBlockBeforeWritingIt) {
  BlockManager m(8, kBs, true);
  const std::vector<int32_t> prompt = iota_tokens(8);  // 2 full blocks, both cached
  SequenceBlocks a;
  prefill(m, a, prompt);

  // Shares the first 6 tokens: block 0 whole, block 1 up to its 3rd slot.
  std::vector<int32_t> other = prompt;
  other[6] = 1;
  other[7] = 2;
  const PrefixMatch match = m.match(other);
  EXPECT_EQ(match.n_tokens, 6);
  SequenceBlocks b;
  m.adopt(b, match);
  EXPECT_EQ(b.table()[1], a.table()[1]);
  ASSERT_TRUE(m.reserve(b, 8));
  ASSERT_EQ(m.pending_copies().size(), 1u);
  EXPECT_EQ(m.pending_copies()[0].src, a.table()[1]);
  EXPECT_EQ(m.pending_copies()[0].dst, b.table()[1]);
  EXPECT_NE(b.table()[1], a.table()[1]);
  EXPECT_EQ(m.ref_count(a.table()[1]), 2);  // the source is held until the copy has run
  m.end_step();
  EXPECT_TRUE(m.pending_copies().empty());
  EXPECT_EQ(m.ref_count(a.table()[1]), 1);
  m.commit(b, other, 8);
  EXPECT_TRUE(m.is_cached(b.table()[1]));  // its own full block, cached under its own hash
}

TEST(BlockManager, AFullyCachedPromptRecomputesItsLastTokenInACopy) {
  BlockManager m(8, kBs, true);
  const std::vector<int32_t> prompt = iota_tokens(8);
  SequenceBlocks a;
  prefill(m, a, prompt);
  m.release(a);
  EXPECT_EQ(m.n_cached_unused(), 2);

  const PrefixMatch match = m.match(prompt);
  EXPECT_EQ(match.n_tokens, 7);  // the last token must be computed for its logits
  SequenceBlocks b;
  m.adopt(b, match);
  EXPECT_EQ(m.n_cached_unused(), 0);
  ASSERT_TRUE(m.reserve(b, 8));
  EXPECT_EQ(m.pending_copies().size(), 1u);
  m.end_step();
  EXPECT_EQ(m.n_cached_unused(), 1);  // the copied block is unreferenced again
}

TEST(BlockManager, EvictsUnreferencedCachedBlocksLeastRecentlyUsedFirst) {
  BlockManager m(4, kBs, true);
  SequenceBlocks a;
  SequenceBlocks b;
  prefill(m, a, iota_tokens(8, 100));
  prefill(m, b, iota_tokens(8, 200));
  const std::vector<BlockId> a_blocks(a.table().begin(), a.table().end());
  const std::vector<BlockId> b_blocks(b.table().begin(), b.table().end());
  m.release(a);  // a's blocks are the least recent ...
  m.release(b);
  EXPECT_EQ(m.n_cached_unused(), 4);
  EXPECT_EQ(m.n_available(), 4);

  // ... and a sequence's tail goes before its head.
  SequenceBlocks c;
  ASSERT_TRUE(m.reserve(c, 4));
  EXPECT_EQ(c.table()[0], a_blocks[1]);
  EXPECT_FALSE(m.is_cached(a_blocks[1]));
  ASSERT_TRUE(m.reserve(c, 8));
  EXPECT_EQ(c.table()[1], a_blocks[0]);
  EXPECT_EQ(m.match(iota_tokens(9, 100)).n_tokens, 0);
  EXPECT_EQ(m.match(iota_tokens(9, 200)).n_tokens, 8);
}

TEST(BlockManager, AHitProtectsABlockFromEviction) {
  BlockManager m(3, kBs, true);
  SequenceBlocks a;
  prefill(m, a, iota_tokens(8, 100));
  m.release(a);
  SequenceBlocks b;
  m.adopt(b, m.match(iota_tokens(5, 100)));  // takes block 0 of a's prefix back
  SequenceBlocks c;
  ASSERT_TRUE(m.reserve(c, 8));  // the free block and a's other cached block
  EXPECT_FALSE(m.reserve(c, 12));
  EXPECT_EQ(m.ref_count(b.table()[0]), 1);
  EXPECT_TRUE(m.is_cached(b.table()[0]));
}

// Blocks past n_shareable (generated tokens, when the backend computes them
// apart from prompts) are hashed but never offered to another sequence.
TEST(BlockManager, OnlyBlocksBelowTheShareableEndEnterTheCache) {
  BlockManager m(8, kBs, true);
  const std::vector<int32_t> tokens = iota_tokens(12);
  SequenceBlocks a;
  m.adopt(a, m.match(tokens));
  ASSERT_TRUE(m.reserve(a, 12));
  m.end_step();
  m.commit(a, tokens, 12, /*n_shareable=*/6);  // block 0 wholly below 6; blocks 1 and 2 not
  EXPECT_EQ(m.match(tokens).n_tokens, kBs);
  m.release(a);
  EXPECT_EQ(m.match(tokens).n_tokens, kBs);
}

TEST(BlockManager, WithoutPrefixCachingNothingIsShared) {
  BlockManager m(8, kBs, false);
  SequenceBlocks a;
  prefill(m, a, iota_tokens(8));
  EXPECT_EQ(m.n_cached(), 0);
  EXPECT_EQ(m.match(iota_tokens(8)).n_tokens, 0);
  m.release(a);
  EXPECT_EQ(m.n_available(), 8);
}

// Random sequences starting, growing and ending; after every operation the
// reference counts must equal the references the sequences hold, and at the
// end every block is available again.
TEST(BlockManager, RandomWorkloadLeaksNothing) {
  constexpr int32_t kBlocks = 24;
  BlockManager m(kBlocks, kBs, true);
  std::mt19937 rng(1234);
  struct Live {
    SequenceBlocks blocks;
    std::vector<int32_t> tokens;
  };
  std::map<int, Live> live;
  int next_id = 0;
  auto check = [&] {
    std::vector<int32_t> refs(kBlocks, 0);
    for (const auto& [id, s] : live) {
      for (BlockId b : s.blocks.table()) ++refs[static_cast<size_t>(b)];
    }
    int32_t referenced = 0;
    for (BlockId b = 0; b < kBlocks; ++b) {
      ASSERT_EQ(m.ref_count(b), refs[static_cast<size_t>(b)]) << "block " << b;
      referenced += refs[static_cast<size_t>(b)] > 0 ? 1 : 0;
    }
    ASSERT_EQ(m.n_used(), referenced);
  };
  for (int op = 0; op < 4000; ++op) {
    const int kind = static_cast<int>(rng() % 3);
    if (kind == 0 || live.empty()) {
      // A new sequence over one of a few shared prefixes.
      Live s;
      const int prefix = static_cast<int>(rng() % 3);
      const int n = 1 + static_cast<int>(rng() % 14);
      for (int i = 0; i < n; ++i) s.tokens.push_back(i < 6 ? prefix * 1000 + i : static_cast<int32_t>(rng() % 50));
      m.adopt(s.blocks, m.match(s.tokens));
      if (m.reserve(s.blocks, n)) {
        m.end_step();
        m.commit(s.blocks, s.tokens, n);
        live.emplace(next_id++, std::move(s));
      } else {
        m.release(s.blocks);
      }
    } else {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      Live& s = it->second;
      if (kind == 1) {
        s.tokens.push_back(static_cast<int32_t>(rng() % 50));
        const auto n = static_cast<int64_t>(s.tokens.size());
        if (m.reserve(s.blocks, n)) {
          m.end_step();
          m.commit(s.blocks, s.tokens, n);
        } else {
          s.tokens.pop_back();
        }
      } else {
        m.release(it->second.blocks);
        live.erase(it);
      }
    }
    check();
    if (testing::Test::HasFatalFailure()) return;
  }
  for (auto& [id, s] : live) m.release(s.blocks);
  live.clear();
  check();
  EXPECT_EQ(m.n_available(), kBlocks);
  EXPECT_EQ(m.n_used(), 0);
}

}  // namespace
}  // namespace rocmforge::kv
