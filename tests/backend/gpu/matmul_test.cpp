// GPU matmul against the CPU backend, for every weight type, on every path:
// the matrix-vector kernels (up to 8 tokens; on CUDA up to 2 for F16/BF16
// weights, up to 4 for quantised ones), the tensor-core GEMM (more),
// and on CUDA the BLAS (from kDenseGemmMinTokens). The first two take the
// activations the CPU takes (8-bit quants with the CPU's rounding for
// quantised weights: Q8_0, Q8_1 or, for the K-quants and IQ4_XS, Q8_K;
// F16/BF16 for F16/BF16 weights) and sum the same integer or exact
// products, so only the order of float sums differs. The BLAS path reads F16
// activations and F16-rounded weights for quantised types, where the CPU has
// 8-bit activations: the CPU's own quantisation error (about 4e-3 relative
// on these uniform random rows) is then the difference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/dense_gemm_policy.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using gguf::GgmlType;

struct MatmulCase {
  GgmlType type;
  int64_t n_tokens;
  int64_t rows;  // outputs
  int64_t cols;  // inner dimension
};

std::string case_name(const ::testing::TestParamInfo<MatmulCase>& info) {
  const MatmulCase& c = info.param;
  return std::string(gguf::ggml_type_name(c.type)) + "_t" + std::to_string(c.n_tokens) + "_r" +
         std::to_string(c.rows) + "_k" + std::to_string(c.cols);
}

// Float sums in another order: a few units in the last place of each output;
// the BLAS's error where it or the GEMM on F16 activations takes the product.
double tolerance(const MatmulCase& c) {
  if (c.type == GgmlType::kF32) return 1e-5;
  const bool quantised = c.type != GgmlType::kF16 && c.type != GgmlType::kBF16;
  const bool f16_activations = default_mode_f16_activations(c.type, c.n_tokens);
  return quantised && (c.n_tokens >= backend::gpu::kDenseGemmMinTokens || f16_activations) ? 1e-2 : 1e-4;
}

// The CPU backend and the GPU backend under test, a harness on each (side 0: CPU, 1: GPU).
class BothBackends : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(gpu_, nullptr); }
  OpHarness& side(int s) { return s == 0 ? hc_ : *hg_; }

  backend::CpuBackend cpu_{2};
  std::unique_ptr<backend::Backend> gpu_ = make_gpu_backend();
  OpHarness hc_{cpu_};
  std::unique_ptr<OpHarness> hg_ = gpu_ ? std::make_unique<OpHarness>(*gpu_) : nullptr;
};

class Matmul : public BothBackends, public ::testing::WithParamInterface<MatmulCase> {};

TEST_P(Matmul, MatchesCpu) {
  const MatmulCase c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.rows * 31 + c.cols * 7 + c.n_tokens));
  const auto w = random_floats(rng, static_cast<size_t>(c.rows * c.cols));
  const auto x = random_floats(rng, static_cast<size_t>(c.n_tokens * c.cols));
  std::vector<float> got[2];
  for (int s = 0; s < 2; ++s) {
    const backend::Tensor out = side(s).poisoned(c.n_tokens, c.rows);
    side(s).backend().matmul(side(s).weight(c.type, w, c.rows, c.cols), side(s).f32(x, c.n_tokens, c.cols), out);
    got[s] = side(s).read(out);
  }
  expect_close(got[1], got[0], tolerance(c), case_name({c, 0}));
}

// The types of 256-element blocks (rows are multiples of 256).
constexpr GgmlType kSuperTypes[] = {GgmlType::kQ2_K, GgmlType::kQ3_K, GgmlType::kQ4_K,
                                    GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kIQ4_XS};

std::vector<MatmulCase> cases() {
  std::vector<MatmulCase> out;
  const GgmlType types[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ4_1,
                            GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kIQ4_NL};
  for (GgmlType t : types) {
    // The matvec's passes of 2 and 4 tokens full and one past; the GEMM's token tiles (16, 32, 64) too.
    for (int64_t n : {1, 2, 3, 4, 5, 8, 9, 16, 17, 32, 33, 64, 127, 128, 130}) out.push_back({t, n, 200, 256});
    out.push_back({t, 1, 70, 96});    // a k-step of 64 that is half past the row's end
    out.push_back({t, 40, 70, 96});
    out.push_back({t, 24, 129, 352});  // one row into a second block; 11 units: a step of 8 and one of 3
    out.push_back({t, 72, 129, 4192});  // split along K, the last slice's last step 3 units; two token tiles
    out.push_back({t, 300, 136, 512});
  }
  for (GgmlType t : kSuperTypes) {
    for (int64_t n = 1; n <= 8; ++n) out.push_back({t, n, 200, 256});  // every matrix-vector token count
    for (int64_t n : {9, 16, 17, 32, 33, 64, 65, 127, 128, 130}) {  // GEMM tiles, partial; the BLAS
      out.push_back({t, n, 200, 256});
    }
    out.push_back({t, 3, 70, 768});
    out.push_back({t, 40, 70, 768});
    out.push_back({t, 24, 129, 1280});  // one row into a second block
    out.push_back({t, 72, 129, 4352});  // split along K; two token tiles
    out.push_back({t, 300, 136, 512});
    out.push_back({t, 20, 136, 4096});  // a grid of two tiles: split along K
  }
  // Rows that are not whole 32-element blocks (stories260K's 172): float
  // types only. 170 is not whole float4s either: the activations' F16 and
  // BF16 copies then take the one-element conversion.
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    out.push_back({t, 1, 64, 172});
    out.push_back({t, 7, 64, 172});
    out.push_back({t, 33, 64, 172});
    out.push_back({t, 7, 64, 170});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, Matmul, ::testing::ValuesIn(cases()), case_name);

// Batch-invariant mode (serve's): one token's outputs are the same bits in a
// product of any number of tokens, wherever the token sits among them. The
// weight's 392 rows make four row tiles of the GEMM, a grid it splits along K
// (in two for the int8 GEMM, eight for the F16 one and for the GEMM on F16
// activations that Q4_0 and Q8_0 take: gemm_a16_test.cpp).
class InvariantMatmul : public ::testing::TestWithParam<GgmlType> {};

std::string type_name(const ::testing::TestParamInfo<GgmlType>& param) {
  return std::string(gguf::ggml_type_name(param.param));
}

TEST_P(InvariantMatmul, ATokensOutputsDoNotDependOnTheOtherTokens) {
  const GgmlType type = GetParam();
  auto gpu = make_gpu_backend(/*batch_invariant=*/true);
  ASSERT_NE(gpu, nullptr);
  OpHarness h(*gpu);
  constexpr int64_t kRows = 392;
  constexpr int64_t kCols = 2048;
  std::mt19937 rng(11);
  const backend::Tensor w = h.weight(type, random_floats(rng, kRows * kCols), kRows, kCols);
  const std::vector<float> token = random_floats(rng, kCols);
  const backend::Tensor one_out = h.poisoned(1, kRows);
  gpu->matmul(w, h.f32(token, 1, kCols), one_out);
  const std::vector<float> alone = h.read(one_out);
  for (int64_t n : {2, 3, 8, 9, 16, 33, 64, 130, 300}) {
    std::vector<float> x = random_floats(rng, static_cast<size_t>(n * kCols));
    const int64_t at = (n * 5) / 7;
    std::copy(token.begin(), token.end(), x.begin() + at * kCols);
    const backend::Tensor out = h.poisoned(n, kRows);
    gpu->matmul(w, h.f32(x, n, kCols), out);
    const std::vector<float> all = h.read(out);
    const std::vector<float> row(all.begin() + at * kRows, all.begin() + (at + 1) * kRows);
    int differ = 0;
    for (int64_t i = 0; i < kRows; ++i) differ += row[static_cast<size_t>(i)] != alone[static_cast<size_t>(i)] ? 1 : 0;
    EXPECT_EQ(differ, 0) << gguf::ggml_type_name(type) << ": token " << at << " of " << n << " differs from alone";
  }
}

INSTANTIATE_TEST_SUITE_P(Types, InvariantMatmul,
                         ::testing::Values(GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ4_0,
                                           GgmlType::kQ8_0, GgmlType::kQ5_1, GgmlType::kQ4_K, GgmlType::kQ6_K,
                                           GgmlType::kIQ4_XS),
                         type_name);

// Inputs and outputs that are column slices of wider rows (a fused QKV
// projection's views), and consecutive matmuls over one input (the
// converted activations are reused) followed by a write to that input (they
// must not be reused after it).
TEST_F(BothBackends, StridedInputsOutputsAndReusedActivations) {
  std::mt19937 rng(5);
  for (int64_t n : {1, 4, 20}) {
    for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kF16, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " n=" + std::to_string(n));
      const int64_t cols = gguf::ggml_type_info(type).block_size == 256 ? 256 : 128;  // whole blocks
      const auto w1 = random_floats(rng, 96 * cols);
      const auto w2 = random_floats(rng, 64 * cols);
      const auto x = random_floats(rng, static_cast<size_t>(n * 3 * cols));
      const auto x2 = random_floats(rng, static_cast<size_t>(n * cols));
      std::vector<std::vector<float>> results[2];
      for (int s = 0; s < 2; ++s) {
        OpHarness& h = side(s);
        backend::Backend& b = h.backend();
        const backend::Tensor wa = h.weight(type, w1, 96, cols);
        const backend::Tensor wb = h.weight(type, w2, 64, cols);
        const backend::Tensor wide = h.f32(x, n, 3 * cols);
        const backend::Tensor in = wide.slice_cols(cols, cols);
        const backend::Tensor out = h.poisoned(n, 256);
        b.matmul(wa, in, out.slice_cols(0, 96));
        b.matmul(wb, in, out.slice_cols(96, 64));
        // Overwrite the input through an op, then multiply again.
        b.add(in, h.f32(x2, n, cols), in);
        b.matmul(wb, in, out.slice_cols(160, 64));
        std::vector<float> all = h.read(out);
        std::vector<float> used;
        for (int64_t r = 0; r < n; ++r) used.insert(used.end(), all.begin() + r * 256, all.begin() + r * 256 + 224);
        results[s].push_back(used);
      }
      expect_close(results[1][0], results[0][0], default_mode_f16_activations(type, n) ? 1e-2 : 1e-4,
                   "strided matmuls");
    }
  }
}

// Experts stacked in one tensor, picked per slot by ids in device memory.
TEST_F(BothBackends, ExpertMatmulsMatchCpu) {
  std::mt19937 rng(9);
  constexpr int64_t kExperts = 4;
  constexpr int64_t kRows = 48;
  constexpr int64_t kTokens = 3;
  constexpr int64_t kUsed = 2;
  const std::vector<int32_t> ids = {3, 0, 1, 1, 2, 3};
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kIQ4_NL, GgmlType::kQ2_K,
                        GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kIQ4_XS}) {
    const int64_t cols = gguf::ggml_type_info(type).block_size == 256 ? 512 : 64;
    const auto w = random_floats(rng, static_cast<size_t>(kExperts * kRows * cols));
    for (bool per_slot : {false, true}) {
      const int64_t x_rows = per_slot ? kTokens * kUsed : kTokens;
      const auto x = random_floats(rng, static_cast<size_t>(x_rows * cols));
      std::vector<float> got[2];
      for (int s = 0; s < 2; ++s) {
        OpHarness& h = side(s);
        const backend::Tensor out = h.poisoned(kTokens * kUsed, kRows);
        h.backend().matmul_experts(h.weight(type, w, kExperts * kRows, cols), kExperts, h.f32(x, x_rows, cols),
                                   per_slot, h.ints(ids), kUsed, out);
        got[s] = h.read(out);
      }
      expect_close(got[1], got[0], 1e-4, std::string(gguf::ggml_type_name(type)) + (per_slot ? " per slot" : ""));
    }
  }
}

// Q8_K activations as the CPU quantises them: a Q6_K weight of one-hot rows
// (row r picks element r) multiplies one activation quant by one weight
// quant, with no offset (Q6_K's -32 cancels exactly in the integer sums) and
// no min, so a matrix-vector output is the product of d_w, d_a and one
// integer on both backends, and a differently rounded activation shows as an
// output a whole quant step away. The rows test the rounding of
// quantize_row_q8_K_ref: ties to even after the scale, the sign of a largest
// magnitude that occurs twice (the first one counts), an all-zero block.
TEST_F(BothBackends, Q8KActivationsQuantiseAsTheCpus) {
  constexpr int64_t kCols = 512;
  std::vector<float> w(static_cast<size_t>(kCols * kCols), 0.0f);
  for (int64_t r = 0; r < kCols; ++r) w[static_cast<size_t>(r * kCols + r)] = 1.0f;
  std::mt19937 rng(21);
  std::vector<std::vector<float>> rows;
  rows.push_back(random_floats(rng, kCols));
  std::vector<float> ties(kCols);  // the largest magnitude 127 (scale 1): quants are the values rounded to even
  for (int64_t i = 0; i < kCols; ++i) ties[static_cast<size_t>(i)] = static_cast<float>(i % 253 - 126) + 0.5f;
  ties[3] = -127.0f;
  ties[300] = -127.0f;
  rows.push_back(ties);
  std::vector<float> first_positive = random_floats(rng, kCols);  // +2 before -2: the + one maps to -127
  first_positive[10] = 2.0f;
  first_positive[200] = -2.0f;
  first_positive[256 + 7] = -3.0f;  // and the other way round in the second block
  first_positive[256 + 8] = 3.0f;
  rows.push_back(first_positive);
  std::vector<float> zero_block = random_floats(rng, kCols);
  std::fill(zero_block.begin(), zero_block.begin() + 256, 0.0f);
  rows.push_back(zero_block);
  rows.push_back(random_floats(rng, kCols, -1e-3f, 1e-3f));
  for (size_t n = 1; n <= rows.size(); ++n) {
    std::vector<float> x;
    for (size_t t = 0; t < n; ++t) x.insert(x.end(), rows[t].begin(), rows[t].end());
    const auto n_tok = static_cast<int64_t>(n);
    std::vector<float> got[2];
    for (int s = 0; s < 2; ++s) {
      const backend::Tensor out = side(s).poisoned(n_tok, kCols);
      side(s).backend().matmul(side(s).weight(GgmlType::kQ6_K, w, kCols, kCols), side(s).f32(x, n_tok, kCols), out);
      got[s] = side(s).read(out);
    }
    ASSERT_EQ(got[1].size(), got[0].size());
    int mismatches = 0;
    for (size_t i = 0; i < got[0].size(); ++i) {
      // The same quants give the same integer sums; the float arithmetic
      // around them differs (measured on the H200: up to 1.5e-5 relative, and
      // the CPU leaves up to 1.8e-7 where the exact output is 0). An output
      // here is d_w * d_a * q for one quant q of at most 127: a quant one step
      // apart moves it by at least 1/127 of itself and by d_a (8e-6 on the
      // smallest row) or more.
      const float bound = 1e-4f * std::fabs(got[0][i]) + 1e-6f;
      if (std::fabs(got[1][i] - got[0][i]) > bound && ++mismatches <= 5) {
        ADD_FAILURE() << n << " tokens: token " << i / kCols << " element " << i % kCols << ": GPU " << got[1][i]
                      << ", CPU " << got[0][i];
      }
    }
    EXPECT_EQ(mismatches, 0) << n << " tokens";
  }
}

}  // namespace
}  // namespace rocmforge::testing
