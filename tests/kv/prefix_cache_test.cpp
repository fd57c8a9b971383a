#include "kv/prefix_cache.h"

#include <gtest/gtest.h>

#include <vector>

namespace rocmforge::kv {
namespace {

const std::vector<int32_t> kA = {1, 2, 3, 4};
const std::vector<int32_t> kB = {5, 6, 7, 8};

TEST(BlockHash, ChainsTheParent) {
  const BlockHash a = hash_block(kRootHash, kA);
  EXPECT_EQ(a, hash_block(kRootHash, kA));
  EXPECT_NE(a, hash_block(kRootHash, kB));
  // The same tokens after different prefixes are different blocks.
  EXPECT_NE(hash_block(a, kB), hash_block(hash_block(kRootHash, kB), kB));
  EXPECT_NE(hash_block(kRootHash, std::vector<int32_t>{1, 2}), hash_block(kRootHash, std::vector<int32_t>{2, 1}));
}

TEST(PrefixCache, FindsWhatWasInserted) {
  PrefixCache c(4);
  const BlockHash h = hash_block(kRootHash, kA);
  EXPECT_TRUE(c.insert(2, h, kRootHash, kA));
  EXPECT_TRUE(c.contains(2));
  EXPECT_EQ(c.find(h, kRootHash, kA), 2);
  EXPECT_EQ(c.size(), 1);
  c.erase(2);
  EXPECT_FALSE(c.contains(2));
  EXPECT_EQ(c.find(h, kRootHash, kA), std::nullopt);
}

TEST(PrefixCache, SameTokensAfterAnotherPrefixDoNotMatch) {
  PrefixCache c(4);
  const BlockHash pa = hash_block(kRootHash, kA);
  const BlockHash pb = hash_block(kRootHash, kB);
  ASSERT_TRUE(c.insert(1, hash_block(pa, kB), pa, kB));
  EXPECT_EQ(c.find(hash_block(pb, kB), pb, kB), std::nullopt);
  EXPECT_EQ(c.find(hash_block(pa, kB), pa, kB), 1);
}

TEST(PrefixCache, AHashCollisionIsNotAHit) {
  PrefixCache c(4);
  const BlockHash h = hash_block(kRootHash, kA);
  ASSERT_TRUE(c.insert(0, h, kRootHash, kA));
  // Another content presented under the same hash (a forced collision): the
  // token comparison rejects it.
  EXPECT_EQ(c.find(h, kRootHash, kB), std::nullopt);
  EXPECT_EQ(c.find(h, h, kA), std::nullopt);
  // And the taken hash is not cached twice.
  EXPECT_FALSE(c.insert(1, h, kRootHash, kB));
  EXPECT_FALSE(c.contains(1));
}

TEST(PrefixCache, PartialMatchPicksTheLongestCommonPrefix) {
  PrefixCache c(4);
  ASSERT_TRUE(c.insert(0, hash_block(kRootHash, kA), kRootHash, kA));
  const std::vector<int32_t> a2 = {1, 2, 9, 9};
  ASSERT_TRUE(c.insert(3, hash_block(kRootHash, a2), kRootHash, a2));
  const std::vector<int32_t> query = {1, 2, 3, 7};
  const auto hit = c.find_partial(kRootHash, query);
  ASSERT_TRUE(hit);
  EXPECT_EQ(hit->block, 0);
  EXPECT_EQ(hit->n_tokens, 3);
  EXPECT_EQ(c.find_partial(kRootHash, std::vector<int32_t>{4, 4}), std::nullopt);
  EXPECT_EQ(c.find_partial(hash_block(kRootHash, kB), query), std::nullopt);  // other parent
  c.erase(0);
  const auto after = c.find_partial(kRootHash, query);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->block, 3);
  EXPECT_EQ(after->n_tokens, 2);
}

}  // namespace
}  // namespace rocmforge::kv
