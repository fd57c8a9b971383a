// Panels (quant/panel.h): every output has the bits of the scalar dot tile on
// the route the panel follows (llama.cpp's repacked Q4_0 GEMM, tinyBLAS for
// Q8_0), for panels of 1..16 rows, any number of tokens, one block to a real
// row's length, random and extreme quants; cells outside the product stay
// untouched.
#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>
#include <vector>

#include "quant/blocks.h"
#include "quant/panel.h"
#include "quant/quant.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

constexpr float kSentinel = -12345.0f;
constexpr MatmulShape kPrompt{16, 64};

constexpr GgmlType kTypes[] = {GgmlType::kQ4_0, GgmlType::kQ8_0};

struct Product {
  GgmlType type;
  int64_t k = 0;
  int n_rows = 0;
  int64_t n_tok = 0;
  std::vector<uint8_t> w;  // n_rows rows of Q4_0
  std::vector<uint8_t> a;  // n_tok rows of Q8_0
  size_t ws = 0, as = 0;
};

// Weights quantised from random values, then random quant bytes (the fp16 d
// kept), so every quant occurs.
Product random_product(GgmlType type, int64_t k, int n_rows, int64_t n_tok, std::mt19937& rng) {
  const size_t block = gguf::ggml_type_info(type).type_size;
  Product p{type, k, n_rows, n_tok, {}, {}, row_bytes(type, k) + 6, row_bytes(GgmlType::kQ8_0, k)};
  p.w.assign(p.ws * static_cast<size_t>(n_rows), 0xFF);
  p.a.resize(p.as * static_cast<size_t>(n_tok));
  std::uniform_int_distribution<int> byte(0, 255);
  for (int r = 0; r < n_rows; ++r) {
    uint8_t* row = p.w.data() + static_cast<size_t>(r) * p.ws;
    quantize_row(type, testing::random_values(rng, k, 0.5f).data(), row, k);
    for (int64_t b = 0; b < k / kBlockElems; ++b) {
      for (size_t i = sizeof(uint16_t); i < block; ++i) {
        row[static_cast<size_t>(b) * block + i] = static_cast<uint8_t>(byte(rng));
      }
    }
  }
  for (int64_t t = 0; t < n_tok; ++t) {
    quantize_activations(GgmlType::kQ8_0, testing::random_values(rng, k, 2.0f).data(),
                         p.a.data() + static_cast<size_t>(t) * p.as, k);
  }
  return p;
}

// out[t * out_stride + r], the stride one past the rows so stray writes show.
std::vector<float> run_panel(const Product& p) {
  const size_t out_stride = kPanelRows + 1;
  const size_t sums_stride = panel_sums_bytes(p.type, p.k);
  std::vector<uint8_t> panel(panel_bytes(p.type, p.k));
  std::vector<uint8_t> sums(sums_stride * static_cast<size_t>(p.n_tok));
  for (int64_t t = 0; t < p.n_tok; ++t) {
    panel_sums(p.type, p.k, p.a.data() + static_cast<size_t>(t) * p.as, sums.data() + t * sums_stride);
  }
  std::vector<float> out(out_stride * static_cast<size_t>(p.n_tok), kSentinel);
  pack_panel(p.type, p.k, p.w.data(), p.ws, p.n_rows, panel.data());
  panel_gemm(p.type, p.k, panel.data(), p.n_rows, p.a.data(), p.as, sums.data(), sums_stride, p.n_tok, out.data(),
             out_stride);
  return out;
}

void expect_tile_bits(const Product& p) {
  const std::vector<float> got = run_panel(p);
  const DotTileFn scalar = dot_tile(p.type, Isa::kScalar, kPrompt);
  for (int64_t t = 0; t < p.n_tok; ++t) {
    for (int r = 0; r <= kPanelRows; ++r) {
      const float cell = got[static_cast<size_t>(t) * (kPanelRows + 1) + r];
      if (r >= p.n_rows) {
        ASSERT_EQ(cell, kSentinel) << "row " << r << " token " << t << " written outside the product";
        continue;
      }
      float want = 0;
      scalar(p.k, p.w.data() + static_cast<size_t>(r) * p.ws, p.ws, 1, p.a.data() + t * p.as, p.as, 1, &want, 1);
      ASSERT_EQ(std::bit_cast<uint32_t>(cell), std::bit_cast<uint32_t>(want))
          << gguf::ggml_type_name(p.type) << " k=" << p.k << " rows=" << p.n_rows << " tokens=" << p.n_tok
          << " r=" << r << " t=" << t;
    }
  }
}

class PanelTest : public ::testing::TestWithParam<GgmlType> {
 protected:
  void SetUp() override {
    if (!panel_applies(GetParam(), kPrompt)) GTEST_SKIP() << "this CPU runs no panels";
  }
};

TEST_P(PanelTest, GivesTheRoutesBits) {
  std::mt19937 rng(41);
  for (int64_t k : {32, 32 * 9, 4096}) {
    for (int n_rows : {1, 3, 7, 8, 15, 16}) {
      for (int64_t n_tok : {1, 3, 8, 9, 20}) expect_tile_bits(random_product(GetParam(), k, n_rows, n_tok, rng));
    }
  }
}

// Largest quants and activations: the integer dots do not overflow.
TEST_P(PanelTest, ExtremeQuantsGiveTheRoutesBits) {
  const size_t block = gguf::ggml_type_info(GetParam()).type_size;
  std::mt19937 rng(42);
  for (uint8_t q : {0x00, 0xFF, 0x0F, 0xF0, 0x80, 0x7F}) {
    for (float x : {127.0f, -127.0f}) {
      Product p = random_product(GetParam(), 32 * 5, kPanelRows, 9, rng);
      for (int r = 0; r < p.n_rows; ++r) {
        for (int64_t b = 0; b < p.k / kBlockElems; ++b) {
          std::memset(p.w.data() + r * p.ws + b * block + sizeof(uint16_t), q, block - sizeof(uint16_t));
        }
      }
      const std::vector<float> row(static_cast<size_t>(p.k), x);
      for (int64_t t = 0; t < p.n_tok; ++t) {
        quantize_activations(GgmlType::kQ8_0, row.data(), p.a.data() + static_cast<size_t>(t) * p.as, p.k);
      }
      expect_tile_bits(p);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(PanelTypes, PanelTest, ::testing::ValuesIn(kTypes), testing::type_param_name);

TEST(PanelApplies, OnlyToPromptsOnTheRoutesTheKernelsFollow) {
  EXPECT_FALSE(panel_applies(GgmlType::kQ4_1, kPrompt));
  EXPECT_FALSE(panel_applies(GgmlType::kQ4_0, {12, 64}));  // n_out % 8 != 0: tinyBLAS's order
  EXPECT_FALSE(panel_applies(GgmlType::kQ4_0, {16, 1}));   // decode keeps the one-token tiles
}

}  // namespace
}  // namespace rocmforge::quant
