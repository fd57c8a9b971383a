// Dot tiles: every level the CPU runs gives the scalar kernel's bits, and the
// scalar kernel is within rounding of a double-precision dot of the
// dequantised rows; every route (product shape, see dot.h), every tile shape,
// lengths of one block, many blocks and odd block counts, rows padded past
// their end. That the scalar kernels reproduce llama.cpp's order of float
// operations is checked against llama.cpp itself outside this suite.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>
#include <tuple>
#include <vector>

#include "quant/half.h"
#include "quant/quant.h"
#include "type_cases.h"

namespace rocmforge::quant {
namespace {

using gguf::GgmlType;

constexpr int kRows = kMaxTile;
constexpr size_t kOutStride = 7;
constexpr float kSentinel = -12345.0f;

// Products that take each of llama.cpp's routes: unknown, one token, batches
// of 2 and 8, with n_out a multiple of 8 (repacked weights) and not.
constexpr MatmulShape kShapes[] = {{}, {8, 1}, {8, 2}, {8, 8}, {12, 1}, {12, 2}, {12, 8}};

std::string shape_name(const MatmulShape& s) {
  return "n_out=" + std::to_string(s.n_out) + " n_tokens=" + std::to_string(s.n_tokens);
}

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

bool is_half_field(GgmlType type, size_t offset) {
  for (size_t h : testing::half_fields(type)) {
    if (offset == h || offset == h + 1) return true;
  }
  return false;
}

// Quantised random rows, then (for block types) random bytes everywhere but
// the fp16 scales, so every quant and sub-block scale value occurs.
Rows random_weights(GgmlType type, int64_t n, std::mt19937& rng) {
  const gguf::GgmlTypeInfo info = gguf::ggml_type_info(type);
  Rows rows = make_rows(type, n, kRows, 2 * info.type_size + 2);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int r = 0; r < kRows; ++r) {
    const std::vector<float> x = testing::random_values(rng, n, 0.5f);
    uint8_t* row = row_data(rows, r);
    quantize_row(type, x.data(), row, n);
    for (int64_t b = 0; info.block_size > 1 && b < n / info.block_size; ++b) {
      for (size_t i = 0; i < info.type_size; ++i) {
        if (!is_half_field(type, i)) row[static_cast<size_t>(b) * info.type_size + i] = static_cast<uint8_t>(byte(rng));
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
  const int64_t block = gguf::ggml_type_info(type).block_size;
  if (block == 1) return {1, 7, 16, 33, 70, 88, 100, 256, 1000, 4096};  // every tail of the float orders
  if (block == 256) return {256, 256 * 3, 4096};
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

// Q4_1/Q5_1 use the activations' fp16 s = d * sum(q): its rounding, per block.
double min_term_error(GgmlType type, const Rows& w, int r, const Rows& a, int c) {
  if (type != GgmlType::kQ4_1 && type != GgmlType::kQ5_1) return 0;
  const size_t wbytes = gguf::ggml_type_info(type).type_size;
  double error = 0;
  for (int64_t b = 0; b < w.n / 32; ++b) {
    uint16_t m;
    uint16_t s;
    std::memcpy(&m, w.row(r) + b * wbytes + 2, 2);
    std::memcpy(&s, a.row(c) + b * 36 + 2, 2);
    error += std::fabs(static_cast<double>(fp16_to_fp32(m)) * fp16_to_fp32(s)) / 1024;
  }
  return error;
}

class ScalarDotTest : public ::testing::TestWithParam<GgmlType> {};

TEST_P(ScalarDotTest, EqualsTheDoublePrecisionDotOfDequantisedRows) {
  const GgmlType type = GetParam();
  std::mt19937 rng(21);
  for (int64_t n : lengths(type)) {
    const Rows w = random_weights(type, n, rng);
    const Rows a = random_activations(type, n, rng);
    for (const MatmulShape& shape : kShapes) {
      const DotTileFn scalar = dot_tile(type, Isa::kScalar, shape);
      ASSERT_NE(scalar, nullptr);
      for (int n_cols : {1, kRows}) {
        const std::vector<float> out = run_tile(scalar, w, kRows, a, n_cols);
        for (int r = 0; r < kRows; ++r) {
          for (int c = 0; c < n_cols; ++c) {
            double exact = 0;
            for (int64_t i = 0; i < n; ++i) exact += w.values[r][i] * a.values[c][i];
            const double tolerance = 2e-5 * magnitude(w, r, a, c) + min_term_error(type, w, r, a, c) + 1e-30;
            ASSERT_NEAR(out[r * kOutStride + c], exact, tolerance)
                << "n=" << n << " " << shape_name(shape) << " r=" << r << " c=" << c;
          }
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ScalarDotTest, ::testing::ValuesIn(supported_types().begin(), supported_types().end()),
                         testing::type_param_name);

std::string type_isa_name(const ::testing::TestParamInfo<std::tuple<GgmlType, Isa>>& param) {
  return std::string(gguf::ggml_type_name(std::get<0>(param.param))) + "_" + std::string(isa_name(std::get<1>(param.param)));
}

void expect_same_bits(const std::vector<float>& got, const std::vector<float>& want, int n_rows, int n_cols,
                      const std::string& what) {
  for (int r = 0; r < n_rows; ++r) {
    for (int c = 0; c < n_cols; ++c) {
      const size_t cell = static_cast<size_t>(r) * kOutStride + static_cast<size_t>(c);
      ASSERT_EQ(std::bit_cast<uint32_t>(got[cell]), std::bit_cast<uint32_t>(want[cell]))
          << what << " r=" << r << " c=" << c << ": " << got[cell] << " vs " << want[cell];
    }
  }
}

class IsaDotTest : public ::testing::TestWithParam<std::tuple<GgmlType, Isa>> {};

TEST_P(IsaDotTest, GivesTheScalarKernelsBitsForEveryRouteAndShape) {
  const auto [type, isa] = GetParam();
  if (!isa_available(isa)) GTEST_SKIP() << "this CPU lacks " << isa_name(isa);
  std::mt19937 rng(33);
  for (int64_t n : lengths(type)) {
    const Rows w = random_weights(type, n, rng);
    const Rows a = random_activations(type, n, rng);
    for (const MatmulShape& shape : kShapes) {
      const DotTileFn fn = dot_tile(type, isa, shape);
      ASSERT_NE(fn, nullptr);
      const DotTileFn scalar = dot_tile(type, Isa::kScalar, shape);
      for (int n_rows = 1; n_rows <= kRows; ++n_rows) {
        for (int n_cols = 1; n_cols <= kRows; ++n_cols) {
          expect_same_bits(run_tile(fn, w, n_rows, a, n_cols), run_tile(scalar, w, n_rows, a, n_cols), n_rows, n_cols,
                           "n=" + std::to_string(n) + " " + shape_name(shape) + " tile " + std::to_string(n_rows) + "x" +
                               std::to_string(n_cols));
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, IsaDotTest,
                         ::testing::Combine(::testing::ValuesIn(supported_types().begin(), supported_types().end()),
                                            ::testing::Values(Isa::kAvx2, Isa::kAvx512)),
                         type_isa_name);

class ExtremeQuantsTest : public ::testing::TestWithParam<std::tuple<GgmlType, Isa>> {};

// Largest quants and scales times largest activations: nothing saturates
// (vpmaddubsw's 16-bit pairs, the bias of unsigned weights), the bits stay the scalar kernel's.
TEST_P(ExtremeQuantsTest, GiveTheScalarKernelsBits) {
  const auto [type, isa] = GetParam();
  if (!isa_available(isa)) GTEST_SKIP() << "this CPU lacks " << isa_name(isa);
  const gguf::GgmlTypeInfo info = gguf::ggml_type_info(type);
  const int64_t n = info.block_size * 9;
  for (uint8_t wq : {0x00, 0xFF, 0x80, 0x7F}) {
    for (float av : {127.0f, -127.0f}) {
      Rows w = make_rows(type, n, kRows, 0);
      for (int64_t b = 0; b < kRows * n / info.block_size; ++b) {
        uint8_t* block = w.bytes.data() + b * info.type_size;
        std::memset(block, wq, info.type_size);
        const uint16_t one = 0x3C00;
        for (size_t h : testing::half_fields(type)) std::memcpy(block + h, &one, 2);
      }
      const std::vector<float> x(static_cast<size_t>(n), av);
      Rows a = make_rows(vec_dot_type(type), n, kRows, 0);
      for (int c = 0; c < kRows; ++c) quantize_activations(vec_dot_type(type), x.data(), row_data(a, c), n);
      for (const MatmulShape& shape : kShapes) {
        expect_same_bits(run_tile(dot_tile(type, isa, shape), w, kRows, a, kRows),
                         run_tile(dot_tile(type, Isa::kScalar, shape), w, kRows, a, kRows), kRows, kRows,
                         "quant byte " + std::to_string(wq) + " a " + std::to_string(av) + " " + shape_name(shape));
      }
    }
  }
}

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

class RouteTest : public ::testing::TestWithParam<GgmlType> {};

// With the shape unknown, 1-column tiles are a one-token product and wider
// tiles part of a batch of 8 or more; n_out counts as a multiple of 8.
TEST_P(RouteTest, UnknownShapeIsDecodeForOneColumnAndPromptForMore) {
  const GgmlType type = GetParam();
  std::mt19937 rng(5);
  const int64_t n = lengths(type).back();
  const Rows w = random_weights(type, n, rng);
  const Rows a = random_activations(type, n, rng);
  const DotTileFn unknown = dot_tile(type, Isa::kScalar);
  expect_same_bits(run_tile(unknown, w, kRows, a, 1), run_tile(dot_tile(type, Isa::kScalar, {8, 1}), w, kRows, a, 1),
                   kRows, 1, "decode");
  expect_same_bits(run_tile(unknown, w, kRows, a, kRows),
                   run_tile(dot_tile(type, Isa::kScalar, {8, 8}), w, kRows, a, kRows), kRows, kRows, "prompt");
}

INSTANTIATE_TEST_SUITE_P(AllTypes, RouteTest, ::testing::ValuesIn(supported_types().begin(), supported_types().end()),
                         testing::type_param_name);

// The routes are not interchangeable: llama.cpp's kernels round differently.
TEST(RouteOrder, KernelsOfDifferentRoutesRoundDifferently) {
  std::mt19937 rng(6);
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ4_0}) {
    const Rows w = random_weights(type, 4096, rng);
    const Rows a = random_activations(type, 4096, rng);
    // One token: vec_dot (F32/F16), the repacked gemv (Q4_0 with n_out % 8 == 0) ...
    const std::vector<float> first = run_tile(dot_tile(type, Isa::kScalar, {8, 1}), w, kRows, a, 1);
    // ... against tinyBLAS (F32/F16, two tokens) and vec_dot (Q4_0 with n_out % 8 != 0).
    const MatmulShape other = type == GgmlType::kQ4_0 ? MatmulShape{12, 1} : MatmulShape{8, 2};
    const std::vector<float> second = run_tile(dot_tile(type, Isa::kScalar, other), w, kRows, a, 1);
    int differences = 0;
    for (int r = 0; r < kRows; ++r) differences += first[r * kOutStride] != second[r * kOutStride];
    EXPECT_GT(differences, 0) << gguf::ggml_type_name(type);
  }
}

TEST(DotTile, DefaultIsTheBestLevel) {
  for (GgmlType type : supported_types()) EXPECT_NE(dot_tile(type), nullptr) << gguf::ggml_type_name(type);
  EXPECT_EQ(dot_tile(GgmlType::kIQ2_XXS), nullptr);
  EXPECT_TRUE(isa_available(best_isa()));
}

}  // namespace
}  // namespace rocmforge::quant
