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
#include "quant/half.h"
#include "quant/quant.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

constexpr GgmlType kActTypes[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ8_1};
constexpr Isa kIsas[] = {Isa::kScalar, Isa::kAvx2, Isa::kAvx512};

std::vector<uint8_t> convert(GgmlType type, const std::vector<float>& x, Isa isa) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> out(row_bytes(type, n));
  quantize_activations(type, x.data(), out.data(), n, isa);
  return out;
}

std::vector<int64_t> lengths(GgmlType type) {
  if (gguf::ggml_type_info(type).block_size == 1) return {1, 7, 8, 9, 31, 33, 100, 4096};
  return {32, 96, 4096};
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

TEST(Activations, ZeroBlockHasZeroScaleAndQuants) {
  const std::vector<float> x(64, 0.0f);
  for (Isa isa : kIsas) {
    if (!isa_available(isa)) continue;
    for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ8_1}) {
      for (uint8_t byte : convert(type, x, isa)) ASSERT_EQ(byte, 0) << isa_name(isa);
    }
  }
}

}  // namespace
}  // namespace rocmforge::quant
