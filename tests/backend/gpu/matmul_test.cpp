// GPU matmul against the CPU backend, for every weight type, on every path:
// the matrix-vector kernels (up to 8 tokens), the tensor-core GEMM (more),
// and on CUDA the BLAS (from kDenseGemmMinTokens). The first two take the
// activations the CPU takes (8-bit quants with the CPU's rounding for
// quantised weights, F16/BF16 for F16/BF16 weights) and sum the same integer
// or exact products, so only the order of float sums differs. The BLAS path
// reads F16 activations and F16-rounded weights for quantised types, where
// the CPU has 8-bit activations: the CPU's own quantisation error (about
// 4e-3 relative on these uniform random rows) is then the difference.
#include <gtest/gtest.h>

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

// Float sums in another order: a few units in the last place of each output.
double tolerance(const MatmulCase& c) {
  if (c.type == GgmlType::kF32) return 1e-5;
  const bool quantised = c.type != GgmlType::kF16 && c.type != GgmlType::kBF16;
  return quantised && c.n_tokens >= backend::gpu::kDenseGemmMinTokens ? 1e-2 : 1e-4;
}

class Matmul : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(Matmul, MatchesCpu) {
  const MatmulCase c = GetParam();
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  backend::CpuBackend cpu(2);
  OpHarness hc(cpu);
  OpHarness hg(*gpu);
  std::mt19937 rng(static_cast<uint32_t>(c.rows * 31 + c.cols * 7 + c.n_tokens));
  const auto w = random_floats(rng, static_cast<size_t>(c.rows * c.cols));
  const auto x = random_floats(rng, static_cast<size_t>(c.n_tokens * c.cols));

  const backend::Tensor wc = hc.weight(c.type, w, c.rows, c.cols);
  const backend::Tensor wg = hg.weight(c.type, w, c.rows, c.cols);
  const backend::Tensor oc = hc.poisoned(c.n_tokens, c.rows);
  const backend::Tensor og = hg.poisoned(c.n_tokens, c.rows);
  cpu.matmul(wc, hc.f32(x, c.n_tokens, c.cols), oc);
  gpu->matmul(wg, hg.f32(x, c.n_tokens, c.cols), og);
  expect_close(hg.read(og), hc.read(oc), tolerance(c), case_name({c, 0}));
}

std::vector<MatmulCase> cases() {
  std::vector<MatmulCase> out;
  const GgmlType types[] = {GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0,
                            GgmlType::kQ4_1, GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0};
  for (GgmlType t : types) {
    for (int64_t n : {1, 2, 3, 5, 8, 9, 64, 127, 128, 130}) out.push_back({t, n, 200, 256});
    out.push_back({t, 1, 70, 96});    // a k-step of 64 that is half past the row's end
    out.push_back({t, 40, 70, 96});
    out.push_back({t, 300, 136, 512});
  }
  // Rows that are not whole 32-element blocks (stories260K's 172): float types only.
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16}) {
    out.push_back({t, 1, 64, 172});
    out.push_back({t, 7, 64, 172});
    out.push_back({t, 33, 64, 172});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, Matmul, ::testing::ValuesIn(cases()), case_name);

// Inputs and outputs that are column slices of wider rows (a fused QKV
// projection's views), and consecutive matmuls over one input (the
// converted activations are reused) followed by a write to that input (they
// must not be reused after it).
TEST(MatmulViews, StridedInputsOutputsAndReusedActivations) {
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  backend::CpuBackend cpu(2);
  OpHarness hc(cpu);
  OpHarness hg(*gpu);
  std::mt19937 rng(5);
  constexpr int64_t kCols = 128;
  for (int64_t n : {1, 4, 20}) {
    for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kF16}) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " n=" + std::to_string(n));
      const auto w1 = random_floats(rng, 96 * kCols);
      const auto w2 = random_floats(rng, 64 * kCols);
      const auto x = random_floats(rng, static_cast<size_t>(n * 3 * kCols));
      const auto x2 = random_floats(rng, static_cast<size_t>(n * kCols));
      std::vector<std::vector<float>> results[2];
      for (int side = 0; side < 2; ++side) {
        OpHarness& h = side == 0 ? hc : hg;
        backend::Backend& b = h.backend();
        const backend::Tensor wa = h.weight(type, w1, 96, kCols);
        const backend::Tensor wb = h.weight(type, w2, 64, kCols);
        const backend::Tensor wide = h.f32(x, n, 3 * kCols);
        const backend::Tensor in = wide.slice_cols(kCols, kCols);
        const backend::Tensor out = h.poisoned(n, 256);
        b.matmul(wa, in, out.slice_cols(0, 96));
        b.matmul(wb, in, out.slice_cols(96, 64));
        // Overwrite the input through an op, then multiply again.
        b.add(in, h.f32(x2, n, kCols), in);
        b.matmul(wb, in, out.slice_cols(160, 64));
        std::vector<float> all = h.read(out);
        std::vector<float> used;
        for (int64_t r = 0; r < n; ++r) used.insert(used.end(), all.begin() + r * 256, all.begin() + r * 256 + 224);
        results[side].push_back(used);
      }
      expect_close(results[1][0], results[0][0], 1e-4, "strided matmuls");
    }
  }
}

// Experts stacked in one tensor, picked per slot by ids in device memory.
TEST(MatmulExperts, MatchesCpu) {
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  backend::CpuBackend cpu(2);
  OpHarness hc(cpu);
  OpHarness hg(*gpu);
  std::mt19937 rng(9);
  constexpr int64_t kExperts = 4;
  constexpr int64_t kRows = 48;
  constexpr int64_t kCols = 64;
  constexpr int64_t kTokens = 3;
  constexpr int64_t kUsed = 2;
  const auto w = random_floats(rng, kExperts * kRows * kCols);
  const std::vector<int32_t> ids = {3, 0, 1, 1, 2, 3};
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kF16, GgmlType::kQ8_0}) {
    for (bool per_slot : {false, true}) {
      const int64_t x_rows = per_slot ? kTokens * kUsed : kTokens;
      const auto x = random_floats(rng, static_cast<size_t>(x_rows * kCols));
      std::vector<float> got[2];
      for (int side = 0; side < 2; ++side) {
        OpHarness& h = side == 0 ? hc : hg;
        const backend::Tensor out = h.poisoned(kTokens * kUsed, kRows);
        h.backend().matmul_experts(h.weight(type, w, kExperts * kRows, kCols), kExperts, h.f32(x, x_rows, kCols),
                                   per_slot, h.ints(ids), kUsed, out);
        got[side] = h.read(out);
      }
      expect_close(got[1], got[0], 1e-4, std::string(gguf::ggml_type_name(type)) + (per_slot ? " per slot" : ""));
    }
  }
}

}  // namespace
}  // namespace rocmforge::testing
