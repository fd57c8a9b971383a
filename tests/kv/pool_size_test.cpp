#include "kv/pool_size.h"

#include <gtest/gtest.h>

namespace rocmforge::kv {
namespace {

TEST(PoolSize, BlockBytesCountKAndVOfEveryLayer) {
  backend::KvLayout layout;
  layout.n_layer = 5;
  layout.n_head_kv = 4;
  layout.head_dim = 8;
  layout.head_dim_v = 8;
  layout.block_size = 16;
  layout.type = gguf::GgmlType::kF16;
  EXPECT_EQ(block_bytes(layout), size_t{5 * 16 * 4 * (8 + 8) * 2});
  layout.type = gguf::GgmlType::kF32;
  EXPECT_EQ(block_bytes(layout), size_t{5 * 16 * 4 * (8 + 8) * 4});
}

TEST(PoolSize, BlocksForBudgetRoundsDownAndChecksTheMinimum) {
  EXPECT_EQ(*blocks_for_budget(1000, 10'500, 1), 10);
  const Result<int64_t> small = blocks_for_budget(1000, 10'500, 11);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().code(), ErrorCode::kCapacity);
  EXPECT_FALSE(blocks_for_budget(0, 10, 1));
}

}  // namespace
}  // namespace rocmforge::kv
