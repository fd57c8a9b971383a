// The CPU backend's top_k (sampling by candidates) against a full sort under
// the sampler's order: rows with ties, NaN, infinities and signed zeros, of
// widths from 1 up, strided, k from 1 to the width.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"

namespace rocmforge::backend {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

struct Best {
  std::vector<float> values;
  std::vector<int32_t> ids;
  float sum;
};

// The reference: every column sorted by (value descending, column ascending), NaN as -inf.
Best reference(const std::vector<float>& row, int64_t k) {
  std::vector<int32_t> order(row.size());
  for (size_t i = 0; i < row.size(); ++i) order[i] = static_cast<int32_t>(i);
  const auto value = [&](int32_t i) { return std::isnan(row[static_cast<size_t>(i)]) ? -kInf : row[static_cast<size_t>(i)]; };
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return value(a) > value(b) || (value(a) == value(b) && a < b); });
  Best b;
  double sum = 0.0;
  for (size_t i = 0; i < row.size(); ++i) sum += std::exp(value(static_cast<int32_t>(i)) - value(order[0]));
  for (int64_t i = 0; i < k; ++i) {
    b.ids.push_back(order[static_cast<size_t>(i)]);
    b.values.push_back(value(order[static_cast<size_t>(i)]));
  }
  b.sum = static_cast<float>(sum);
  return b;
}

// The op over `rows` rows of `cols` from `values`, `pad` NaN after each row.
std::vector<Best> run_top_k(const std::vector<float>& values, int64_t rows, int64_t k, int64_t pad) {
  CpuBackend backend(2);
  const int64_t cols = static_cast<int64_t>(values.size()) / rows;
  std::vector<float> data(static_cast<size_t>(rows * (cols + pad)), kNaN);
  for (int64_t r = 0; r < rows; ++r) std::copy_n(values.begin() + r * cols, cols, data.begin() + r * (cols + pad));
  const Tensor x{data.data(), gguf::GgmlType::kF32, rows, cols, static_cast<size_t>(cols + pad) * sizeof(float)};
  std::vector<float> best_values(static_cast<size_t>(rows * k));
  std::vector<int32_t> best_ids(static_cast<size_t>(rows * k));
  std::vector<float> sums(static_cast<size_t>(rows));
  backend.top_k(x, k, best_values.data(), best_ids.data(), sums.data());
  std::vector<Best> out;
  for (int64_t r = 0; r < rows; ++r) {
    out.push_back({{best_values.begin() + r * k, best_values.begin() + (r + 1) * k},
                   {best_ids.begin() + r * k, best_ids.begin() + (r + 1) * k},
                   sums[static_cast<size_t>(r)]});
  }
  return out;
}

void expect_reference(const std::vector<float>& values, int64_t rows, int64_t k, int64_t pad) {
  const int64_t cols = static_cast<int64_t>(values.size()) / rows;
  const std::vector<Best> got = run_top_k(values, rows, k, pad);
  for (int64_t r = 0; r < rows; ++r) {
    const Best want = reference({values.begin() + r * cols, values.begin() + (r + 1) * cols}, k);
    EXPECT_EQ(got[static_cast<size_t>(r)].ids, want.ids) << cols << " columns, k " << k << ", row " << r;
    EXPECT_EQ(got[static_cast<size_t>(r)].values, want.values) << cols << " columns, k " << k << ", row " << r;
    if (std::isfinite(want.values[0])) {  // the sum is meaningless otherwise
      EXPECT_FLOAT_EQ(got[static_cast<size_t>(r)].sum, want.sum) << cols << " columns, k " << k << ", row " << r;
    }
  }
}

TEST(CpuTopK, TiesGoToTheLowestColumns) {
  const std::vector<Best> got = run_top_k({1, 3, 2, 3, 3, -0.0f, 0.0f, 0.0f}, 1, 5, 0);
  EXPECT_EQ(got[0].ids, (std::vector<int32_t>{1, 3, 4, 2, 0}));
  EXPECT_EQ(got[0].values, (std::vector<float>{3, 3, 3, 2, 1}));
  // -0 and +0 tie.
  EXPECT_EQ(run_top_k({-1, -0.0f, 0.0f, -0.0f}, 1, 3, 0)[0].ids, (std::vector<int32_t>{1, 2, 3}));
}

TEST(CpuTopK, NaNRanksAsMinusInfinityAndAddsNothing) {
  const std::vector<Best> got = run_top_k({kNaN, -kInf, 0.0f, kNaN, std::log(3.0f)}, 1, 5, 0);
  EXPECT_EQ(got[0].ids, (std::vector<int32_t>{4, 2, 0, 1, 3}));
  EXPECT_EQ(got[0].values, (std::vector<float>{std::log(3.0f), 0.0f, -kInf, -kInf, -kInf}));
  EXPECT_FLOAT_EQ(got[0].sum, 4.0f / 3.0f);
}

TEST(CpuTopK, RandomRowsWithTiesAndSpecialValues) {
  std::mt19937 rng(11);
  std::uniform_int_distribution<int> level(-3, 3);
  std::uniform_int_distribution<int> kind(0, 19);
  for (int64_t cols : {1, 2, 7, 64, 100, 1025, 4099}) {
    constexpr int64_t kRows = 3;
    std::vector<float> v(static_cast<size_t>(kRows * cols));
    for (float& x : v) {
      const int k = kind(rng);
      x = k == 0 ? kNaN : k == 1 ? -kInf : k == 2 ? -0.0f : static_cast<float>(level(rng)) * 0.75f;
    }
    for (int64_t k : {int64_t{1}, int64_t{5}, int64_t{64}, cols}) {
      if (k > cols) continue;
      expect_reference(v, kRows, k, 0);
      expect_reference(v, kRows, k, 3);
    }
  }
}

}  // namespace
}  // namespace rocmforge::backend
