// quantize_activations: the same bytes on every instruction-set level, equal
// to the reference quantiser except where llama.cpp's x86 rounding differs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <type_traits>
#include <vector>

#include "quant/blocks.h"
#include "quant/blocks_k.h"
#include "quant/half.h"
#include "quant/quant.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

constexpr GgmlType kActTypes[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16,
                                  GgmlType::kQ8_0, GgmlType::kQ8_1, GgmlType::kQ8_K};
constexpr Isa kIsas[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512};

std::vector<uint8_t> convert(GgmlType type, const std::vector<float>& x, Isa isa) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> out(row_bytes(type, n));
  quantize_activations(type, x.data(), out.data(), n, isa);
  return out;
}

std::vector<int64_t> lengths(GgmlType type) {
  const int64_t block = gguf::ggml_type_info(type).block_size;
  if (block == 1) return {1, 7, 8, 9, 31, 33, 100, 4096};
  return {block, 3 * block, 4096};
}

TEST(Activations, EveryLevelGivesTheSameBytes) {
  std::mt19937 rng(1);
  for (GgmlType type : kActTypes) {
    for (int64_t n : lengths(type)) {
      const std::vector<float> x = testing::random_values(rng, n, 3.0f);
      const std::vector<uint8_t> want = convert(type, x, Isa::kScalar);
      for (Isa isa : kIsas) {
        if (!isa_available(isa)) continue;
        EXPECT_EQ(convert(type, x, isa), want) << gguf::ggml_type_name(type) << " n=" << n << " " << isa_name(isa);
      }
      EXPECT_EQ(convert(type, x, best_isa()), want);
      std::vector<uint8_t> via_default(want.size());
      quantize_activations(type, x.data(), via_default.data(), n);
      EXPECT_EQ(via_default, want);
    }
  }
}

TEST(Activations, FloatFormatsEqualTheReferenceConversion) {
  std::mt19937 rng(2);
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    const std::vector<float> x = testing::random_values(rng, 1000, 50.0f);
    std::vector<uint8_t> ref(row_bytes(type, 1000));
    quantize_row(type, x.data(), ref.data(), 1000);
    EXPECT_EQ(convert(type, x, best_isa()), ref) << gguf::ggml_type_name(type);
  }
}

// The x86 quantiser multiplies by 127 / amax and rounds half to even; the
// reference multiplies by 1 / (amax / 127) and rounds half away from zero. A
// quant may differ by one, and only where x * 127 / amax is within rounding
// of a half.
template <class Block>
void expect_q8_close_to_reference(GgmlType type, const std::vector<float>& x, Isa isa) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<Block> ref(static_cast<size_t>(n / kBlockElems));
  quantize_row(type, x.data(), ref.data(), n);
  const std::vector<uint8_t> bytes = convert(type, x, isa);
  std::vector<Block> act(ref.size());
  std::memcpy(act.data(), bytes.data(), bytes.size());
  int differences = 0;
  for (size_t b = 0; b < ref.size(); ++b) {
    ASSERT_EQ(act[b].d, ref[b].d) << "block " << b;
    const float* xb = x.data() + b * kBlockElems;
    float amax = 0.0f;
    for (int j = 0; j < kBlockElems; ++j) amax = std::max(amax, std::fabs(xb[j]));
    int sum = 0;
    for (int j = 0; j < kBlockElems; ++j) {
      sum += act[b].qs[j];
      if (act[b].qs[j] == ref[b].qs[j]) continue;
      ++differences;
      const double scaled = std::fabs(static_cast<double>(xb[j]) * 127.0 / amax);
      EXPECT_EQ(std::abs(act[b].qs[j] - ref[b].qs[j]), 1) << "block " << b << " element " << j;
      EXPECT_NEAR(scaled - std::floor(scaled), 0.5, 1e-4) << "block " << b << " element " << j;
    }
    if constexpr (std::is_same_v<Block, BlockQ8_1>) {
      EXPECT_EQ(act[b].s, fp32_to_fp16(amax / 127.0f * static_cast<float>(sum))) << "block " << b;
    }
  }
  ::testing::Test::RecordProperty("differences", differences);
}

TEST(Activations, Q8DiffersFromTheReferenceOnlyNearTies) {
  std::mt19937 rng(4);
  const std::vector<float> x = testing::random_values(rng, 32 * 512, 2.0f);
  for (Isa isa : kIsas) {
    if (!isa_available(isa)) continue;
    expect_q8_close_to_reference<BlockQ8_0>(GgmlType::kQ8_0, x, isa);
    expect_q8_close_to_reference<BlockQ8_1>(GgmlType::kQ8_1, x, isa);
  }
}

// amax = 127 makes both multipliers exactly 1: every x.5 is a true tie.
std::vector<float> tie_block() {
  std::vector<float> x(32, 0.0f);
  const float values[] = {127.0f, 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.5f, 126.5f};
  std::copy(std::begin(values), std::end(values), x.begin());
  return x;
}

TEST(Activations, TiesRoundHalfToEvenUnlikeTheReference) {
  const std::vector<float> x = tie_block();
  const int8_t x86[] = {127, 0, 2, 2, 0, -2, -2, 4, 126};
  const int8_t reference[] = {127, 1, 2, 3, -1, -2, -3, 4, 127};
  BlockQ8_0 ref;
  quantize_row(GgmlType::kQ8_0, x.data(), &ref, 32);
  for (int j = 0; j < 9; ++j) EXPECT_EQ(ref.qs[j], reference[j]) << j;
  for (Isa isa : kIsas) {
    if (!isa_available(isa)) continue;
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ8_1}) {
      const std::vector<uint8_t> bytes = convert(type, x, isa);
      const int8_t* qs = reinterpret_cast<const int8_t*>(bytes.data()) + (type == GgmlType::kQ8_0 ? 2 : 4);
      for (int j = 0; j < 9; ++j) EXPECT_EQ(qs[j], x86[j]) << isa_name(isa) << " element " << j;
      if (type == GgmlType::kQ8_1) {
        uint16_t s;
        std::memcpy(&s, bytes.data() + 2, 2);
        EXPECT_EQ(s, fp32_to_fp16(127 + 0 + 2 + 2 + 0 - 2 - 2 + 4 + 126));
      }
    }
  }
}

// Q8_K is llama.cpp's reference quantiser on x86: the value of largest
// magnitude (the first on ties) maps to -127, d = 1 / iscale in float, and
// bsums hold the sums of each 16 quants.
TEST(Activations, Q8KMapsTheLargestMagnitudeToMinus127) {
  std::vector<float> x(256, 0.0f);
  x[3] = 2.0f;   // the extreme: iscale = -127 / 2
  x[7] = -2.0f;  // as large, but later: +127
  x[20] = 1.0f;  // -63.5 rounds half to even: -64
  x[21] = 0.5f;  // -31.75: -32
  for (Isa isa : kIsas) {
    if (!isa_available(isa)) continue;
    const std::vector<uint8_t> bytes = convert(GgmlType::kQ8_K, x, isa);
    BlockQ8_K b;
    std::memcpy(&b, bytes.data(), sizeof(b));
    EXPECT_EQ(b.d, 1.0f / (-127.0f / 2.0f)) << isa_name(isa);
    EXPECT_EQ(b.qs[3], -127);
    EXPECT_EQ(b.qs[7], 127);
    EXPECT_EQ(b.qs[20], -64);
    EXPECT_EQ(b.qs[21], -32);
    EXPECT_EQ(b.bsums[0], -127 + 127);
    EXPECT_EQ(b.bsums[1], -64 - 32);
    for (int j = 2; j < 16; ++j) EXPECT_EQ(b.bsums[j], 0);
  }
}

TEST(Activations, ZeroBlockHasZeroScaleAndQuants) {
  const std::vector<float> x(64, 0.0f);
  for (Isa isa : kIsas) {
    if (!isa_available(isa)) continue;
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ8_1}) {
      for (uint8_t byte : convert(type, x, isa)) ASSERT_EQ(byte, 0) << isa_name(isa);
    }
    for (uint8_t byte : convert(GgmlType::kQ8_K, std::vector<float>(256, 0.0f), isa)) {
      ASSERT_EQ(byte, 0) << isa_name(isa);
    }
  }
}

}  // namespace
}  // namespace rocmforge::quant
