// The CPU backend's argmax: greedy sampling's rule (the lowest column on
// ties, NaN ranking as -inf) on rows built to exercise it, and rows of
// widths that are not multiples of a GPU block or of a float4.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"

namespace rocmforge::backend {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The op's ids over `rows` rows of `values`, `pad` floats (NaN, never to be read) after each row.
std::vector<int32_t> run_argmax(const std::vector<float>& values, int64_t rows, int64_t pad = 0) {
  CpuBackend backend(2);
  const int64_t cols = static_cast<int64_t>(values.size()) / rows;
  const int64_t stride = cols + pad;
  std::vector<float> data(static_cast<size_t>(rows * stride), kNaN);
  for (int64_t r = 0; r < rows; ++r) std::copy_n(values.begin() + r * cols, cols, data.begin() + r * stride);
  const Tensor x{data.data(), gguf::GgmlType::kF32, rows, cols, static_cast<size_t>(stride) * sizeof(float)};
  std::vector<int32_t> ids(static_cast<size_t>(rows), -1);
  backend.argmax(x, ids.data());
  return ids;
}

TEST(CpuArgmax, TiesGoToTheLowestColumn) {
  EXPECT_EQ(run_argmax({1, 3, 2, 3, 3,  //
                        7, 7, 7, 7, 7,  //
                        0, 1, 1, 0, 1},
                       3),
            (std::vector<int32_t>{1, 0, 1}));
}

TEST(CpuArgmax, NegativeValues) {
  EXPECT_EQ(run_argmax({-5.5f, -0.25f, -3, -0.25f, -1e30f, -2, -7, -0.5f}, 2), (std::vector<int32_t>{1, 3}));
}

// Masked rows: all -inf is column 0 (the sampler's pick), one finite value wins.
TEST(CpuArgmax, MinusInfinityRows) {
  EXPECT_EQ(run_argmax({-kInf, -kInf, -kInf, -kInf,  //
                        -kInf, -kInf, -1e38f, -kInf,  //
                        -kInf, kInf, 1, kInf},
                       3),
            (std::vector<int32_t>{0, 2, 1}));
}

// NaN ranks as -inf: never above a number, and column 0's NaN ties with -inf
// and wins as the lowest column.
TEST(CpuArgmax, NaNRanksAsMinusInfinity) {
  EXPECT_EQ(run_argmax({kNaN, -5, kNaN, -3,  //
                        kNaN, kNaN, kNaN, kNaN,  //
                        -kInf, kNaN, -kInf, kNaN,  //
                        kNaN, -kInf, kNaN, -kInf},
                       4),
            (std::vector<int32_t>{3, 0, 0, 0}));
}

// -0 and +0 compare equal: a tie, which the lower column wins.
TEST(CpuArgmax, SignedZerosTie) {
  EXPECT_EQ(run_argmax({-1, -0.0f, 0.0f, -1, 0.0f, -0.0f}, 2), (std::vector<int32_t>{1, 1}));
}

// Widths past and between multiples of 4 and of 1024, the best value at the
// last column, in the middle, and tied at both ends; rows strided.
TEST(CpuArgmax, WidthsThatAreNotMultiplesOfABlock) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> pick(-10.0f, 10.0f);
  for (int64_t cols : {1, 3, 5, 1023, 1025, 4099, 128257}) {
    constexpr int64_t kRows = 3;
    std::vector<float> v(static_cast<size_t>(kRows * cols));
    for (float& x : v) x = pick(rng);
    v[static_cast<size_t>(cols - 1)] = 20.0f;            // row 0: the last column
    v[static_cast<size_t>(cols + cols / 2)] = 20.0f;     // row 1: the middle
    v[static_cast<size_t>(2 * cols)] = 20.0f;            // row 2: both ends, the first wins
    v[static_cast<size_t>(3 * cols - 1)] = 20.0f;
    for (int64_t pad : {0, 3}) {
      EXPECT_EQ(run_argmax(v, kRows, pad),
                (std::vector<int32_t>{static_cast<int32_t>(cols - 1), static_cast<int32_t>(cols / 2), 0}))
          << cols << " columns, " << pad << " floats of padding";
    }
  }
}

}  // namespace
}  // namespace rocmforge::backend
