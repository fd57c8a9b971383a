#include "backend/kv_layout.h"

#include <gtest/gtest.h>

namespace rocmforge::backend {
namespace {

// What the CPU and GPU backends store and read: F32, F16 and Q8_0, with the
// head sizes a Q8_0 block can be split into or made of.
TEST(KvLayout, CheckNamesWhatIsUnsupported) {
  KvLayout layout{2, 4, 8, 8, 16, 0, {gguf::GgmlType::kQ8_0, gguf::GgmlType::kQ8_0}};
  EXPECT_TRUE(check_kv_layout(layout));  // stories260K: 4 heads of 8 share each block
  layout.head_dim = layout.head_dim_v = 96;
  EXPECT_TRUE(check_kv_layout(layout));
  layout.head_dim = 80;  // Phi-2's heads: neither whole blocks nor a share of one
  Status bad = check_kv_layout(layout);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(bad.error().message().find("80"), std::string::npos) << bad.error().message();
  layout.types.k = gguf::GgmlType::kF16;
  EXPECT_TRUE(check_kv_layout(layout));  // an F16 K cache holds any head size
  layout.n_head_kv = 1;
  layout.head_dim_v = 16;  // one head of 16 does not fill a block
  EXPECT_FALSE(check_kv_layout(layout));
  layout.head_dim_v = 64;
  layout.types.v = gguf::GgmlType::kQ4_0;
  bad = check_kv_layout(layout);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message().find("f32, f16, bf16, q8_0"), std::string::npos) << bad.error().message();
}

TEST(KvLayout, RowBytesAreTheTypesRows) {
  const KvLayout layout{1, 4, 8, 16, 16, 2, {gguf::GgmlType::kQ8_0, gguf::GgmlType::kF32}};
  EXPECT_EQ(layout.k_row_bytes(), size_t{34});
  EXPECT_EQ(layout.v_row_bytes(), size_t{4 * 16 * 4});
  EXPECT_EQ(kv_cache_type_names(), "f32, f16, bf16, q8_0");
}

}  // namespace
}  // namespace rocmforge::backend
