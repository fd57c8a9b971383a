// fp16 / bf16 conversions: the scalar ones against known values and against
// the F16C instructions (through the bulk conversions), every half value and
// the rounding boundaries between them.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "quant/half.h"
#include "quant/isa.h"

namespace rocmforge::quant {
namespace {

uint16_t f16c(float x) {
  uint16_t h;
  convert_f32_to_f16(&x, &h, 1);
  return h;
}

TEST(Half, KnownValues) {
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65519.99f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);  // the tie above the largest half goes to infinity
  EXPECT_EQ(fp32_to_fp16(-1e9f), 0xFC00);
  EXPECT_EQ(fp32_to_fp16(0x1p-24f), 0x0001);
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);  // tie between 0 and the smallest subnormal: even
  EXPECT_EQ(fp32_to_fp16(std::nextafter(0x1p-25f, 1.0f)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(3 * 0x1p-25f), 0x0002);  // 1.5 units: tie to even
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3C00);  // tie to even (down)
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3C02);  // tie to even (up)
  EXPECT_EQ(fp16_to_fp32(0x3555), 0.333251953125f);
  EXPECT_EQ(fp16_to_fp32(0x8001), -0x1p-24f);
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7C00)));
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));
}

TEST(Half, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float x = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(x)) continue;
    ASSERT_EQ(fp32_to_fp16(x), h) << std::hex << h;
  }
}

TEST(Half, ScalarMatchesF16cAtEveryRoundingBoundary) {
  if (best_isa() == Isa::kScalar) GTEST_SKIP() << "no F16C on this CPU";
  std::vector<float> x;
  for (uint32_t h = 0; h < 0x7C00; ++h) {  // positive finite halves; signs are symmetric
    const float lo = fp16_to_fp32(static_cast<uint16_t>(h));
    const float hi = fp16_to_fp32(static_cast<uint16_t>(h + 1));
    const float mid = lo + (hi - lo) / 2;  // exact in float
    for (float v : {lo, mid, std::nextafter(mid, 0.0f), std::nextafter(mid, 1e30f)}) {
      x.push_back(v);
      x.push_back(-v);
    }
  }
  std::vector<uint16_t> hw(x.size());
  convert_f32_to_f16(x.data(), hw.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(fp32_to_fp16(x[i]), hw[i]) << std::hexfloat << x[i];
}

TEST(Half, ScalarMatchesF16cOnRandomBits) {
  if (best_isa() == Isa::kScalar) GTEST_SKIP() << "no F16C on this CPU";
  std::mt19937 rng(3);
  std::vector<float> x(1 << 20);
  for (float& v : x) v = std::bit_cast<float>(static_cast<uint32_t>(rng()));
  std::vector<uint16_t> hw(x.size());
  convert_f32_to_f16(x.data(), hw.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(fp32_to_fp16(x[i]), hw[i]) << std::hexfloat << x[i];
  EXPECT_EQ(f16c(std::bit_cast<float>(0x7F800001u)), fp32_to_fp16(std::bit_cast<float>(0x7F800001u)));
}

TEST(Half, BulkWidensEveryHalfAsTheScalarDoes) {
  std::vector<uint16_t> h(0x10000);
  for (uint32_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint16_t>(i);
  std::vector<float> x(h.size());
  convert_f16_to_f32(h.data(), x.data(), static_cast<int64_t>(h.size()));
  for (uint32_t i = 0; i < h.size(); ++i) {
    const float want = fp16_to_fp32(h[i]);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(x[i])) << i;
    } else {
      ASSERT_EQ(std::bit_cast<uint32_t>(x[i]), std::bit_cast<uint32_t>(want)) << i;
    }
  }
}

TEST(Half, BulkConversionsHandleEveryTailLength) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 10.0f);
  for (int64_t n = 0; n < 40; ++n) {
    std::vector<float> x(static_cast<size_t>(n));
    for (float& v : x) v = normal(rng);
    std::vector<uint16_t> h(x.size() + 1, 0xABCD);
    std::vector<uint16_t> b(x.size() + 1, 0xABCD);
    convert_f32_to_f16(x.data(), h.data(), n);
    convert_f32_to_bf16(x.data(), b.data(), n);
    std::vector<float> back(x.size() + 1, 7.0f);
    convert_f16_to_f32(h.data(), back.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(h[i], fp32_to_fp16(x[i]));
      ASSERT_EQ(b[i], fp32_to_bf16(x[i]));
      ASSERT_EQ(back[i], fp16_to_fp32(h[i]));
    }
    EXPECT_EQ(h[x.size()], 0xABCD);  // nothing written past the end
    EXPECT_EQ(b[x.size()], 0xABCD);
    EXPECT_EQ(back[x.size()], 7.0f);
  }
}

TEST(Bf16, RoundsToNearestEvenAndQuietsNans) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3F808000u)), 0x3F80);  // tie: even (down)
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3F818000u)), 0x3F82);  // tie: even (up)
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3F808001u)), 0x3F81);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x00018000u)), 0x0002);  // subnormals are kept
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x7F800001u)), 0x7FC0);  // signalling NaN made quiet
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x7F7FFFFFu)), 0x7F80);  // rounds up to infinity
  EXPECT_EQ(bf16_to_fp32(0xC040), -3.0f);
}

TEST(Bf16, BulkMatchesScalarOnRandomBits) {
  std::mt19937 rng(9);
  std::vector<float> x(1 << 16);
  for (float& v : x) v = std::bit_cast<float>(static_cast<uint32_t>(rng()));
  std::vector<uint16_t> b(x.size());
  convert_f32_to_bf16(x.data(), b.data(), static_cast<int64_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(b[i], fp32_to_bf16(x[i])) << std::hexfloat << x[i];
}

TEST(Half, ConversionsAreConstexpr) {
  static_assert(fp32_to_fp16(1.0f) == 0x3C00);
  static_assert(fp16_to_fp32(0x3C00) == 1.0f);
  static_assert(fp32_to_bf16(1.0f) == 0x3F80);
  static_assert(bf16_to_fp32(0x3F80) == 1.0f);
}

}  // namespace
}  // namespace rocmforge::quant
