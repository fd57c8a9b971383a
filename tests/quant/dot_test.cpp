// Dot tiles: every level the CPU runs against the scalar kernel, and the
// scalar kernel against a double-precision dot of the dequantised rows; every
// tile shape, lengths of one block, many blocks and odd block counts, rows
// padded past their end.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/quant.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

constexpr int kRows = kMaxTile;
constexpr size_t kOutStride = 7;
constexpr float kSentinel = -12345.0f;

// Rows of one type, `stride` bytes apart, the padding filled with 0xFF (NaN
// for float types: a kernel reading it would poison its result).
struct Rows {
  GgmlType type;
  int64_t n = 0;
  size_t stride = 0;
  std::vector<uint8_t> bytes;
  std::vector<std::vector<double>> values;  // dequantised

  const uint8_t* row(int r) const { return bytes.data() + static_cast<size_t>(r) * stride; }
};

Rows make_rows(GgmlType type, int64_t n, int count, size_t padding) {
  Rows rows{type, n, row_bytes(type, n) + padding, {}, {}};
  rows.bytes.assign(rows.stride * static_cast<size_t>(count), 0xFF);
  rows.values.resize(static_cast<size_t>(count));
  return rows;
}

uint8_t* row_data(Rows& rows, int r) { return rows.bytes.data() + static_cast<size_t>(r) * rows.stride; }

void dequantize_rows(Rows& rows) {
  std::vector<float> values(static_cast<size_t>(rows.n));
  for (size_t r = 0; r < rows.values.size(); ++r) {
    dequantize_row(rows.type, rows.row(static_cast<int>(r)), values.data(), rows.n);
    rows.values[r].assign(values.begin(), values.end());
  }
}

// Byte offset of the first quant byte in a block (the scales come before).
size_t scale_bytes(GgmlType type) {
  switch (type) {
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kQ8_0:
      return 2;
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_1:
      return 4;
    default:
      return 0;
  }
}

// Quantised random rows, then (for block types) random quant bytes under the
// real scales, so every quant value occurs (-128 for Q8_0 included).
Rows random_weights(GgmlType type, int64_t n, std::mt19937& rng) {
  const gguf::GgmlTypeInfo info = gguf::ggml_type_info(type);
  Rows rows = make_rows(type, n, kRows, 2 * info.type_size + 2);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int r = 0; r < kRows; ++r) {
    const std::vector<float> x = testing::random_values(rng, n, 0.5f);
    uint8_t* row = row_data(rows, r);
    quantize_row(type, x.data(), row, n);
    for (int64_t b = 0; info.block_size > 1 && b < n / info.block_size; ++b) {
      for (size_t i = scale_bytes(type); i < info.type_size; ++i) {
        row[static_cast<size_t>(b) * info.type_size + i] = static_cast<uint8_t>(byte(rng));
      }
    }
  }
  dequantize_rows(rows);
  return rows;
}

Rows random_activations(GgmlType weight_type, int64_t n, std::mt19937& rng) {
  const GgmlType type = vec_dot_type(weight_type);
  Rows rows = make_rows(type, n, kRows, 2 * gguf::ggml_type_info(type).type_size + 2);
  for (int c = 0; c < kRows; ++c) {
    const std::vector<float> x = testing::random_values(rng, n, 2.0f);
    quantize_activations(type, x.data(), row_data(rows, c), n);
  }
  dequantize_rows(rows);
  return rows;
}

std::vector<int64_t> lengths(GgmlType type) {
  if (gguf::ggml_type_info(type).block_size == 1) return {1, 7, 16, 33, 100, 256, 1000, 4096};
  return {32, 256, 32 * 13, 32 * 37, 4096};  // one block, one group of 8, odd counts, a real row
}

double magnitude(const Rows& w, int r, const Rows& a, int c) {
  double m = 0;
  for (int64_t i = 0; i < w.n; ++i) m += std::fabs(w.values[r][i] * a.values[c][i]);
  return m;
}

// Runs a tile into a kOutStride-wide buffer whose other cells must stay untouched.
std::vector<float> run_tile(DotTileFn fn, const Rows& w, int n_rows, const Rows& a, int n_cols) {
  std::vector<float> out(kRows * kOutStride, kSentinel);
  fn(w.n, w.row(0), w.stride, n_rows, a.row(0), a.stride, n_cols, out.data(), kOutStride);
  for (size_t i = 0; i < out.size(); ++i) {
    const bool inside = static_cast<int>(i / kOutStride) < n_rows && static_cast<int>(i % kOutStride) < n_cols;
    if (!inside) {
      EXPECT_EQ(out[i], kSentinel) << "cell " << i << " written outside the tile";
    }
  }
  return out;
}

class ScalarDotTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(ScalarDotTest, EqualsTheDoublePrecisionDotOfDequantisedRows) {
  const GgmlType type = GetParam();
  const DotTileFn scalar = dot_tile(type, Isa::kScalar);
  ASSERT_NE(scalar, nullptr);
  std::mt19937 rng(21);
  for (int64_t n : lengths(type)) {
    const Rows w = random_weights(type, n, rng);
    const Rows a = random_activations(type, n, rng);
    const std::vector<float> out = run_tile(scalar, w, kRows, a, kRows);
    for (int r = 0; r < kRows; ++r) {
      for (int c = 0; c < kRows; ++c) {
        double exact = 0;
        for (int64_t i = 0; i < n; ++i) exact += w.values[r][i] * a.values[c][i];
        // Float sums across blocks; Q4_1/Q5_1 use the activations' fp16 s = d * sum(q).
        double tolerance = 2e-5 * magnitude(w, r, a, c) + 1e-30;
        if (scale_bytes(type) == 4) {
          const size_t wbytes = gguf::ggml_type_info(type).type_size;
          for (int64_t b = 0; b < n / kBlockElems; ++b) {
            uint16_t m, s;
            std::memcpy(&m, w.row(r) + b * wbytes + 2, 2);
            std::memcpy(&s, a.row(c) + b * 36 + 2, 2);
            tolerance += std::fabs(static_cast<double>(fp16_to_fp32(m)) * fp16_to_fp32(s)) / 1024;
          }
        }
        ASSERT_NEAR(out[r * kOutStride + c], exact, tolerance) << "n=" << n << " r=" << r << " c=" << c;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ScalarDotTest, ::testing::ValuesIn(supported_types().begin(), supported_types().end()),
                         testing::type_param_name);

std::string type_isa_name(const ::testing::TestParamInfo<std::tuple<GgmlType, Isa>>& param) {
  return std::string(gguf::ggml_type_name(std::get<0>(param.param))) + "_" + std::string(isa_name(std::get<1>(param.param)));
}

class IsaDotTest : public ::testing::TestWithParam<std::tuple<GgmlType, Isa>> {};

TEST_P(IsaDotTest, MatchesTheScalarKernelForEveryShape) {
  const auto [type, isa] = GetParam();
  if (!isa_available(isa)) GTEST_SKIP() << "this CPU lacks " << isa_name(isa);
  const DotTileFn fn = dot_tile(type, isa);
  ASSERT_NE(fn, nullptr);
  const DotTileFn scalar = dot_tile(type, Isa::kScalar);
  std::mt19937 rng(33);
  for (int64_t n : lengths(type)) {
    const Rows w = random_weights(type, n, rng);
    const Rows a = random_activations(type, n, rng);
    for (int n_rows = 1; n_rows <= kRows; ++n_rows) {
      for (int n_cols = 1; n_cols <= kRows; ++n_cols) {
        const std::vector<float> want = run_tile(scalar, w, n_rows, a, n_cols);
        const std::vector<float> got = run_tile(fn, w, n_rows, a, n_cols);
        for (int r = 0; r < n_rows; ++r) {
          for (int c = 0; c < n_cols; ++c) {
            const double tolerance = 1e-5 * magnitude(w, r, a, c) + 1e-30;
            ASSERT_NEAR(got[r * kOutStride + c], want[r * kOutStride + c], tolerance)
                << "n=" << n << " tile " << n_rows << "x" << n_cols << " r=" << r << " c=" << c;
          }
        }
      }
    }
  }
}

class ExtremeQuantsTest : public ::testing::TestWithParam<std::tuple<GgmlType, Isa>> {};

// Largest quants times largest activations: nothing saturates (vpmaddubsw's
// 16-bit pairs, the bias of unsigned weights), sums stay exact.
TEST_P(ExtremeQuantsTest, AreExact) {
  const auto [type, isa] = GetParam();
  if (!isa_available(isa)) GTEST_SKIP() << "this CPU lacks " << isa_name(isa);
  const int64_t n = 32 * 9;
  for (uint8_t wq : {0x00, 0xFF, 0x80, 0x7F}) {
    for (float av : {127.0f, -127.0f}) {
      Rows w = make_rows(type, n, kRows, 0);
      const size_t wbytes = gguf::ggml_type_info(type).type_size;
      for (int64_t b = 0; b < kRows * n / kBlockElems; ++b) {
        uint8_t* block = w.bytes.data() + b * wbytes;
        std::memset(block, wq, wbytes);
        const uint16_t one = 0x3C00;
        std::memcpy(block, &one, 2);                               // d = 1
        if (scale_bytes(type) == 4) std::memcpy(block + 2, &one, 2);  // m = 1
      }
      const std::vector<float> x(static_cast<size_t>(n), av);
      Rows a = make_rows(vec_dot_type(type), n, kRows, 0);
      for (int c = 0; c < kRows; ++c) quantize_activations(vec_dot_type(type), x.data(), row_data(a, c), n);
      const std::vector<float> want = run_tile(dot_tile(type, Isa::kScalar), w, kRows, a, kRows);
      const std::vector<float> got = run_tile(dot_tile(type, isa), w, kRows, a, kRows);
      for (int i = 0; i < kRows * kRows; ++i) {
        const size_t cell = static_cast<size_t>(i / kRows) * kOutStride + i % kRows;
        EXPECT_NEAR(got[cell], want[cell], 1e-6 * std::fabs(want[cell])) << "quant byte " << int{wq} << " a " << av;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, IsaDotTest,
                         ::testing::Combine(::testing::ValuesIn(supported_types().begin(), supported_types().end()),
                                            ::testing::Values(Isa::kAvx2, Isa::kAvx512)),
                         type_isa_name);

std::vector<GgmlType> block_types() {
  std::vector<GgmlType> types;
  for (GgmlType type : supported_types()) {
    if (gguf::ggml_type_info(type).block_size > 1) types.push_back(type);
  }
  return types;
}

INSTANTIATE_TEST_SUITE_P(BlockTypes, ExtremeQuantsTest,
                         ::testing::Combine(::testing::ValuesIn(block_types()),
                                            ::testing::Values(Isa::kAvx2, Isa::kAvx512)),
                         type_isa_name);

TEST(DotTile, DefaultIsTheBestLevel) {
  for (GgmlType type : supported_types()) EXPECT_NE(dot_tile(type), nullptr) << gguf::ggml_type_name(type);
  EXPECT_EQ(dot_tile(GgmlType::kQ4_K), nullptr);
  EXPECT_TRUE(isa_available(best_isa()));
}

}  // namespace
}  // namespace rocmforge::quant
