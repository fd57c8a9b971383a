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
  layout.types = {gguf::GgmlType::kF16, gguf::GgmlType::kF16};
  EXPECT_EQ(block_bytes(layout), size_t{5 * 16 * 4 * (8 + 8) * 2});
  layout.types = {gguf::GgmlType::kF32, gguf::GgmlType::kF32};
  EXPECT_EQ(block_bytes(layout), size_t{5 * 16 * 4 * (8 + 8) * 4});
}

// Q8_0 rows are ggml's blocks of 32 quants and an F16 scale over all KV heads:
// 34 bytes per 32 elements, K and V counted in their own types.
TEST(PoolSize, BlockBytesOfQ8_0AndMixedCaches) {
  backend::KvLayout layout{3, 8, 128, 64, 16, 0, {gguf::GgmlType::kQ8_0, gguf::GgmlType::kQ8_0}};
  EXPECT_EQ(block_bytes(layout), size_t{3 * 16 * (8 * 128 + 8 * 64) / 32 * 34});
  layout.types = {gguf::GgmlType::kQ8_0, gguf::GgmlType::kF16};
  EXPECT_EQ(block_bytes(layout), size_t{3 * 16 * (8 * 128 / 32 * 34 + 8 * 64 * 2)});
  layout.types = {gguf::GgmlType::kF32, gguf::GgmlType::kQ8_0};
  EXPECT_EQ(block_bytes(layout), size_t{3 * 16 * (8 * 128 * 4 + 8 * 64 / 32 * 34)});
  // The same budget holds 1.88 times the blocks of an F16 cache (2 / (34 / 32)).
  backend::KvLayout f16 = layout;
  f16.types = {gguf::GgmlType::kF16, gguf::GgmlType::kF16};
  layout.types = {gguf::GgmlType::kQ8_0, gguf::GgmlType::kQ8_0};
  const size_t budget = size_t{1} << 30;
  EXPECT_EQ(*blocks_for_budget(block_bytes(layout), budget, 1), static_cast<int64_t>(budget / 78336));
  EXPECT_EQ(*blocks_for_budget(block_bytes(f16), budget, 1), static_cast<int64_t>(budget / 147456));
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
