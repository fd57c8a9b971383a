#include "kv/lru_evictor.h"

#include <gtest/gtest.h>

namespace rocmforge::kv {
namespace {

TEST(LruEvictor, EvictsLeastRecentlyAddedFirst) {
  LruEvictor e(8);
  e.add(5);
  e.add(2);
  e.add(7);
  EXPECT_EQ(e.size(), 3);
  EXPECT_EQ(e.pop_lru(), 5);
  EXPECT_EQ(e.pop_lru(), 2);
  EXPECT_EQ(e.pop_lru(), 7);
  EXPECT_EQ(e.pop_lru(), std::nullopt);
  EXPECT_EQ(e.size(), 0);
}

TEST(LruEvictor, RemovedBlocksAreNotEvicted) {
  LruEvictor e(4);
  e.add(0);
  e.add(1);
  e.add(2);
  e.remove(1);
  EXPECT_FALSE(e.contains(1));
  EXPECT_TRUE(e.contains(0));
  EXPECT_EQ(e.pop_lru(), 0);
  EXPECT_EQ(e.pop_lru(), 2);
  EXPECT_EQ(e.pop_lru(), std::nullopt);
}

TEST(LruEvictor, ReAddingMakesABlockMostRecent) {
  LruEvictor e(4);
  e.add(0);
  e.add(1);
  e.remove(0);  // used again ...
  e.add(0);     // ... and released again
  EXPECT_EQ(e.pop_lru(), 1);
  EXPECT_EQ(e.pop_lru(), 0);
}

}  // namespace
}  // namespace rocmforge::kv
