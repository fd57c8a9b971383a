// The type table and the reference (de)quantisation of every type.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <cmath>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/blocks_k.h"
#include "quant/half.h"
#include "quant/quant.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;
using testing::all_types;
using testing::find_case;

size_t block_struct_bytes(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
      return sizeof(float);
    case GgmlType::kF16:
    case GgmlType::kBF16:
      return sizeof(uint16_t);
    case GgmlType::kQ4_0:
      return sizeof(BlockQ4_0);
    case GgmlType::kQ4_1:
      return sizeof(BlockQ4_1);
    case GgmlType::kQ5_0:
      return sizeof(BlockQ5_0);
    case GgmlType::kQ5_1:
      return sizeof(BlockQ5_1);
    case GgmlType::kQ8_0:
      return sizeof(BlockQ8_0);
    case GgmlType::kQ8_1:
      return sizeof(BlockQ8_1);
    case GgmlType::kIQ4_NL:
      return sizeof(BlockIQ4_NL);
    case GgmlType::kQ2_K:
      return sizeof(BlockQ2_K);
    case GgmlType::kQ3_K:
      return sizeof(BlockQ3_K);
    case GgmlType::kQ4_K:
      return sizeof(BlockQ4_K);
    case GgmlType::kQ5_K:
      return sizeof(BlockQ5_K);
    case GgmlType::kQ6_K:
      return sizeof(BlockQ6_K);
    case GgmlType::kQ8_K:
      return sizeof(BlockQ8_K);
    case GgmlType::kIQ4_XS:
      return sizeof(BlockIQ4_XS);
    default:
      return 0;  // a type without a block struct here: the test below fails
  }
}

int64_t block_elems(GgmlType type) { return gguf::ggml_type_info(type).block_size; }

TEST(QuantTypes, EveryTypeHasATestCase) {
  for (GgmlType type : all_types()) EXPECT_NE(find_case(type), nullptr) << gguf::ggml_type_name(type);
}

TEST(QuantTypes, SupportedTypesAreExactlyThoseInScope) {
  const std::vector<GgmlType> expected = {
      GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0,   GgmlType::kQ4_1,  GgmlType::kQ5_0,
      GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K, GgmlType::kQ3_K,   GgmlType::kQ4_K,  GgmlType::kQ5_K,
      GgmlType::kQ6_K, GgmlType::kIQ4_NL, GgmlType::kIQ4_XS};
  EXPECT_EQ(std::vector<GgmlType>(supported_types().begin(), supported_types().end()), expected);
  for (uint32_t id = 0; id < 64; ++id) {
    if (!gguf::ggml_type_info(id)) continue;
    const auto type = static_cast<GgmlType>(id);
    const bool in_list = std::find(expected.begin(), expected.end(), type) != expected.end();
    EXPECT_EQ(is_supported(type), in_list) << id;
    EXPECT_EQ(check_supported(type).has_value(), in_list) << id;
  }
}

TEST(QuantTypes, UnsupportedTypeErrorNamesTheType) {
  const Status status = check_supported(GgmlType::kIQ2_XXS);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code(), ErrorCode::kUnsupported);
  EXPECT_NE(status.error().message().find("iq2_xxs"), std::string::npos) << status.error().message();
}

TEST(QuantTypes, VecDotTypesFollowGgml) {
  EXPECT_EQ(vec_dot_type(GgmlType::kF32), GgmlType::kF32);
  EXPECT_EQ(vec_dot_type(GgmlType::kF16), GgmlType::kF16);
  EXPECT_EQ(vec_dot_type(GgmlType::kBF16), GgmlType::kBF16);
  EXPECT_EQ(vec_dot_type(GgmlType::kQ4_0), GgmlType::kQ8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::kQ5_0), GgmlType::kQ8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::kQ8_0), GgmlType::kQ8_0);
  EXPECT_EQ(vec_dot_type(GgmlType::kQ4_1), GgmlType::kQ8_1);
  EXPECT_EQ(vec_dot_type(GgmlType::kQ5_1), GgmlType::kQ8_1);
  EXPECT_EQ(vec_dot_type(GgmlType::kIQ4_NL), GgmlType::kQ8_0);
  for (GgmlType type : {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K,
                        GgmlType::kIQ4_XS}) {
    EXPECT_EQ(vec_dot_type(type), GgmlType::kQ8_K) << gguf::ggml_type_name(type);
  }
}

class ReferenceTest : public ::testing::TestWithParam<GgmlType> {
 protected:
  GgmlType type() const { return GetParam(); }
  const testing::TypeCase& type_case() const { return *find_case(type()); }
};

TEST_P(ReferenceTest, BlockStructMatchesGgmlTable) {
  EXPECT_EQ(block_struct_bytes(type()), gguf::ggml_type_info(type()).type_size);
  EXPECT_EQ(row_bytes(type(), 4096), 4096 / block_elems(type()) * gguf::ggml_type_info(type()).type_size);
  if (block_elems(type()) > 1) {
    EXPECT_TRUE(block_elems(type()) == kBlockElems || block_elems(type()) == kSuperElems);
  }
}

TEST_P(ReferenceTest, RoundTripWithinTheTypesBound) {
  ASSERT_NE(find_case(type()), nullptr);
  std::mt19937 rng(7);
  const int64_t n = 256 * 8;
  const int64_t block_size = std::max<int64_t>(block_elems(type()), kBlockElems);
  for (float scale : {1e-3f, 1.0f, 100.0f}) {
    const std::vector<float> x = testing::random_values(rng, n, scale);
    std::vector<uint8_t> q(row_bytes(type(), n));
    std::vector<float> y(static_cast<size_t>(n));
    quantize_row(type(), x.data(), q.data(), n);
    dequantize_row(type(), q.data(), y.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t begin = i / block_size * block_size;
      const std::span<const float> block(x.data() + begin, static_cast<size_t>(block_size));
      const double bound = type_case().error_bound(block, x[i]);
      ASSERT_LE(std::fabs(static_cast<double>(x[i]) - y[i]), bound) << "scale " << scale << " element " << i;
    }
  }
}

TEST_P(ReferenceTest, RepresentableValuesRoundTripExactly) {
  ASSERT_NE(find_case(type()), nullptr);
  std::mt19937 rng(11);
  const int64_t n = 256 * 7;
  const std::vector<float> x = type_case().exact_values(rng, n);
  std::vector<uint8_t> q(row_bytes(type(), n));
  std::vector<float> y(static_cast<size_t>(n));
  quantize_row(type(), x.data(), q.data(), n);
  dequantize_row(type(), q.data(), y.data(), n);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(x[i], y[i]) << "element " << i;
}

TEST_P(ReferenceTest, KnownBlockDequantisesToKnownValues) {
  ASSERT_NE(find_case(type()), nullptr);
  const testing::KnownAnswer known = type_case().known_answer();
  const auto n = static_cast<int64_t>(known.values.size());
  ASSERT_EQ(known.bytes.size(), row_bytes(type(), n));
  std::vector<float> y(known.values.size());
  dequantize_row(type(), known.bytes.data(), y.data(), n);
  for (size_t i = 0; i < y.size(); ++i) {
    EXPECT_EQ(std::bit_cast<uint32_t>(y[i]), std::bit_cast<uint32_t>(known.values[i]))
        << "element " << i << ": " << y[i] << " vs " << known.values[i];
  }
}

TEST_P(ReferenceTest, ZerosQuantiseToZeros) {
  const int64_t n = 512;
  const std::vector<float> x(static_cast<size_t>(n), 0.0f);
  std::vector<uint8_t> q(row_bytes(type(), n));
  std::vector<float> y(static_cast<size_t>(n), 1.0f);
  quantize_row(type(), x.data(), q.data(), n);
  dequantize_row(type(), q.data(), y.data(), n);
  for (float v : y) ASSERT_EQ(v, 0.0f);
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ReferenceTest, ::testing::ValuesIn(all_types()), testing::type_param_name);

// ggml's quantisers, element by element, on the cases where they are subtle.

TEST(ReferenceQuantise, Q4_0UsesTheSignedExtremeAndClampsTheOtherSide) {
  std::vector<float> x(32, 0.0f);
  x[3] = 4.0f;  // the extreme is positive: d = -0.5, so +4 maps to quant 0
  x[5] = -4.0f;  // and -4 would be quant 16: clamped to 15, i.e. -3.5
  BlockQ4_0 b;
  quantize_row(GgmlType::kQ4_0, x.data(), &b, 32);
  EXPECT_EQ(b.d, 0xB800);  // -0.5
  EXPECT_EQ(b.qs[3] & 0x0F, 0);
  EXPECT_EQ(b.qs[5] & 0x0F, 15);
  EXPECT_EQ(b.qs[0] & 0x0F, 8);
}

TEST(ReferenceQuantise, Q8RoundsHalfAwayFromZero) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1
  x[1] = 2.5f;
  x[2] = -2.5f;
  x[3] = 0.5f;
  BlockQ8_1 b;
  quantize_row(GgmlType::kQ8_1, x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3C00);
  EXPECT_EQ(b.qs[1], 3);
  EXPECT_EQ(b.qs[2], -3);
  EXPECT_EQ(b.qs[3], 1);
  EXPECT_EQ(b.s, fp32_to_fp16(128.0f));  // s = d * sum(q) = 127 + 3 - 3 + 1
}

TEST(ReferenceQuantise, Q5_0PutsBit4OfElementJInBitJOfQh) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);  // d = 1, quant j
  BlockQ5_0 b;
  quantize_row(GgmlType::kQ5_0, x.data(), &b, 32);
  EXPECT_EQ(b.d, 0x3C00);
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  EXPECT_EQ(qh, 0xFFFF0000u);  // quants 16..31 have bit 4 set
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b.qs[j], j | (j << 4)) << j;
}

}  // namespace
}  // namespace rocmforge::quant
