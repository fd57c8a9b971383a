#include "kv/block_allocator.h"

#include <gtest/gtest.h>

namespace rocmforge::kv {
namespace {

TEST(BlockAllocator, HandsOutEveryBlockOnceThenReportsCapacity) {
  BlockAllocator a(3);
  EXPECT_EQ(a.n_free(), 3);
  EXPECT_EQ(*a.allocate(), 0);
  EXPECT_EQ(*a.allocate(), 1);
  EXPECT_EQ(*a.allocate(), 2);
  EXPECT_EQ(a.n_free(), 0);
  const Result<BlockId> none = a.allocate();
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kCapacity);
}

TEST(BlockAllocator, CountsReferences) {
  BlockAllocator a(2);
  const BlockId b = *a.allocate();
  EXPECT_EQ(a.ref_count(b), 1);
  a.retain(b);
  EXPECT_EQ(a.ref_count(b), 2);
  EXPECT_EQ(a.release(b), 1);
  EXPECT_EQ(a.release(b), 0);
  EXPECT_FALSE(a.is_free(b));  // parked until freed
  a.free(b);
  EXPECT_TRUE(a.is_free(b));
  EXPECT_EQ(a.n_free(), 2);
}

TEST(BlockAllocator, ReusesTheMostRecentlyFreedBlock) {
  BlockAllocator a(4);
  const BlockId b0 = *a.allocate();
  const BlockId b1 = *a.allocate();
  a.release(b0);
  a.free(b0);
  a.release(b1);
  a.free(b1);
  EXPECT_EQ(*a.allocate(), b1);
  EXPECT_EQ(*a.allocate(), b0);
}

TEST(BlockAllocator, RetainRevivesAParkedBlock) {
  BlockAllocator a(1);
  const BlockId b = *a.allocate();
  a.release(b);
  a.retain(b);
  EXPECT_EQ(a.ref_count(b), 1);
  EXPECT_EQ(a.n_free(), 0);
}

}  // namespace
}  // namespace rocmforge::kv
