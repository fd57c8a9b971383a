// The top_k op (sampling by candidates) on the GPU against the CPU backend's:
// the same candidates, bit for bit, in the same order, and sums within float
// rounding of each other (each sums float exp terms in double, in another
// order, with its own exp). Rows of Llama 3's 128256 logits and of widths
// from 1 up, with ties (at the k-th value too), NaN, infinities and signed
// zeros; k from 1 to 256, and the largest k the op takes.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

constexpr int64_t kLlama3Vocab = 128256;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
// The device's exp (2 ulp at most) and summation order against the CPU's.
constexpr double kSumTolerance = 2e-6;

struct TopK {
  std::vector<float> values;
  std::vector<int32_t> ids;
  std::vector<float> sums;
};

TopK top_k(OpHarness& h, const std::vector<float>& v, int64_t rows, int64_t cols, int64_t stride, int64_t k) {
  const backend::Tensor x = h.f32(v, rows, cols, stride);
  const backend::Tensor values = h.poisoned(rows, k);
  int32_t* ids = h.ints(std::vector<int32_t>(static_cast<size_t>(rows * k), -1));
  const backend::Tensor sums = h.poisoned(1, rows);
  h.backend().top_k(x, k, static_cast<float*>(values.data), ids, static_cast<float*>(sums.data));
  return {h.read(values), h.read_ints(ids, static_cast<size_t>(rows * k)), h.read(sums)};
}

class GpuTopK : public ::testing::Test {
 protected:
  void SetUp() override {
    gpu_ = make_gpu_backend();
    ASSERT_NE(gpu_, nullptr);
    hg_ = std::make_unique<OpHarness>(*gpu_);
  }

  // The GPU's top_k of `rows` rows of `cols` from `v`, `stride` floats apart
  // (0: cols), is the CPU's.
  void expect_same(const std::vector<float>& v, int64_t rows, int64_t cols, int64_t stride, int64_t k,
                   const std::string& what) {
    const TopK want = top_k(hc_, v, rows, cols, stride, k);
    const TopK got = top_k(*hg_, v, rows, cols, stride, k);
    ASSERT_TRUE(gpu_->synchronize()) << what;
    EXPECT_EQ(got.ids, want.ids) << what;
    EXPECT_EQ(got.values, want.values) << what;
    for (int64_t r = 0; r < rows; ++r) {
      const auto i = static_cast<size_t>(r);
      if (!std::isfinite(want.values[i * static_cast<size_t>(k)])) continue;  // no meaningful sum
      EXPECT_NEAR(got.sums[i], want.sums[i], kSumTolerance * want.sums[i]) << what << ", row " << r;
    }
  }

  std::vector<float> levels(size_t n, int n_levels) {
    std::uniform_int_distribution<int> level(0, n_levels - 1);
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(level(rng_)) * 0.5f - 1.0f;
    return v;
  }

  backend::CpuBackend cpu_{2};
  OpHarness hc_{cpu_};
  std::unique_ptr<backend::Backend> gpu_;
  std::unique_ptr<OpHarness> hg_;
  std::mt19937 rng_{4321};
};

TEST_F(GpuTopK, RandomRowsOfLlama3Logits) {
  constexpr int64_t kRows = 8;
  std::vector<float> v = random_floats(rng_, kRows * kLlama3Vocab, -20.0f, 20.0f);
  v[0] = 30.0f;                        // row 0: the best in the first column
  v[2 * kLlama3Vocab - 1] = 30.0f;     // row 1: in the last
  for (int64_t k : {1, 2, 40, 64, 100, 256}) expect_same(v, kRows, kLlama3Vocab, 0, k, "k " + std::to_string(k));
}

// Few distinct values: the k-th value is shared by thousands of columns, of
// which the lowest must be taken; a row of one value throughout.
TEST_F(GpuTopK, TiesAtTheKthValueGoToTheLowestColumns) {
  constexpr int64_t kRows = 4;
  std::vector<float> v = levels(kRows * kLlama3Vocab, 5);
  std::fill(v.begin() + 3 * kLlama3Vocab, v.end(), 0.25f);
  for (int64_t k : {1, 64, 256}) expect_same(v, kRows, kLlama3Vocab, 0, k, "k " + std::to_string(k));
  const TopK flat = top_k(*hg_, v, kRows, kLlama3Vocab, 0, 64);
  for (int32_t i = 0; i < 64; ++i) EXPECT_EQ(flat.ids[static_cast<size_t>(3 * 64 + i)], i);
}

// Values one ulp apart: the selection needs all four bytes of the key.
TEST_F(GpuTopK, ValuesOneUlpApart) {
  std::vector<float> v(static_cast<size_t>(kLlama3Vocab));
  float x = 1.0f;
  for (float& e : v) {
    e = x;
    x = std::nextafter(x, 2.0f);
  }
  std::shuffle(v.begin(), v.end(), rng_);
  for (int64_t k : {1, 3, 255, 256}) expect_same(v, 1, kLlama3Vocab, 0, k, "k " + std::to_string(k));
}

// NaN ranks as -inf (and is written as -inf); -0 and +0 tie; infinities;
// rows with no finite value. At a width of one float at a time and of float4.
TEST_F(GpuTopK, NaNInfinitiesAndSignedZeros) {
  for (int64_t cols : {4099, 4100}) {
    const std::vector<float> v =
        rows_of(cols, {
                          [](int64_t) { return -kInf; },
                          [](int64_t) { return kNaN; },
                          [](int64_t i) { return i % 3 == 0 ? kNaN : -static_cast<float>(i % 17); },
                          [](int64_t i) { return i % 2 == 0 ? kNaN : (i % 1000 == 1 ? kInf : 1.0f); },
                          [](int64_t i) { return i < 2000 ? -1.0f : (i % 2 == 0 ? 0.0f : -0.0f); },
                          [](int64_t i) { return i % 5 == 0 ? -kInf : (i % 7 == 0 ? kNaN : static_cast<float>(i % 11) - 5.0f); },
                      });
    constexpr int64_t kRows = 6;
    for (int64_t k : {1, 10, 64, 256}) {
      expect_same(v, kRows, cols, 0, k, std::to_string(cols) + " columns, k " + std::to_string(k));
    }
  }
}

// Widths from one column up, around multiples of 4, a warp and the block;
// strides that misalign rows; k up to the width.
TEST_F(GpuTopK, WidthsStridesAndK) {
  constexpr int64_t kWidths[] = {1, 2, 3, 4, 5, 31, 63, 64, 65, 255, 256, 257, 1023, 1024, 1025, 4097, 32000,
                                 kLlama3Vocab, kLlama3Vocab + 1};
  for (int64_t cols : kWidths) {
    constexpr int64_t kRows = 3;
    std::vector<float> v = levels(static_cast<size_t>(kRows * cols), 40);
    for (size_t i = 0; i < v.size(); i += 7) v[i] = kNaN;
    for (int64_t pad : {0, 1, 4}) {
      for (int64_t k : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{256}, cols}) {
        if (k > cols || k > 256) continue;
        expect_same(v, kRows, cols, cols + pad, k,
                    std::to_string(cols) + " columns, " + std::to_string(pad) + " of padding, k " + std::to_string(k));
      }
    }
  }
}

TEST_F(GpuTopK, TheLargestK) {
  const std::vector<float> v = levels(2 * kLlama3Vocab, 3000);
  expect_same(v, 2, kLlama3Vocab, 0, backend::kMaxTopK, "k " + std::to_string(backend::kMaxTopK));
}

// More candidates than the op takes is reported, not written past.
TEST_F(GpuTopK, TooManyCandidatesAreReported) {
  constexpr int64_t k = backend::kMaxTopK + 1;
  const backend::Tensor x = hg_->f32(levels(4096, 10), 1, 4096);
  const backend::Tensor values = hg_->poisoned(1, k);
  int32_t* ids = hg_->ints(std::vector<int32_t>(k, -1));
  const backend::Tensor sums = hg_->poisoned(1, 1);
  gpu_->top_k(x, k, static_cast<float*>(values.data), ids, static_cast<float*>(sums.data));
  const Status s = gpu_->synchronize();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("top-1025"), std::string::npos) << s.error().to_string();
  EXPECT_TRUE(gpu_->synchronize());  // reported once
}

}  // namespace
}  // namespace rocmforge::testing
