// The GEMM on F16 activations (gemm_a16.cuh), through the backend in
// batch-invariant mode, where Q4_0 and Q8_0 weights take it at every row
// count: against the CPU backend within the BLAS path's tolerance (F16
// activations where the CPU has 8-bit ones: matmul_test.cpp), against the
// BLAS on the F16 copy up to summation order (the same F16 weights), a row's
// outputs the same bits among any number of other rows at small shapes and
// at Llama-3-8B's, and the backend's routing itself.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/gemm_a16_policy.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::gpu::F16CopyMode;
using gguf::GgmlType;

struct A16Case {
  GgmlType type;
  int64_t n_tokens;
  int64_t rows;
  int64_t cols;
};

std::string case_name(const ::testing::TestParamInfo<A16Case>& info) {
  const A16Case& c = info.param;
  return std::string(gguf::ggml_type_name(c.type)) + "_t" + std::to_string(c.n_tokens) + "_r" +
         std::to_string(c.rows) + "_k" + std::to_string(c.cols);
}

std::unique_ptr<backend::Backend> invariant_gpu(F16CopyMode copies = F16CopyMode::kOff, int64_t decode_rows = 0) {
  backend::gpu::GpuOptions o;
  o.batch_invariant = true;
  o.f16_copies = copies;
  o.decode_rows = decode_rows;
  return make_gpu_backend(o);
}

// w times x's rows as generated rows (matmul) and as prompt rows (matmul_prompt).
struct BothKinds {
  std::vector<float> generated;
  std::vector<float> prompt;
};
BothKinds both_kinds(OpHarness& h, const backend::Tensor& w, const backend::Tensor& x) {
  const backend::Tensor generated = h.poisoned(x.rows, w.rows);
  const backend::Tensor prompt = h.poisoned(x.rows, w.rows);
  h.backend().matmul(w, x, generated);
  h.backend().matmul_prompt(w, x, prompt);
  return {h.read(generated), h.read(prompt)};
}

class A16Matmul : public ::testing::TestWithParam<A16Case> {};

TEST_P(A16Matmul, MatchesCpu) {
  const A16Case c = GetParam();
  backend::CpuBackend cpu(2);
  auto gpu = invariant_gpu();
  ASSERT_NE(gpu, nullptr);
  OpHarness hc(cpu);
  OpHarness hg(*gpu);
  std::mt19937 rng(static_cast<uint32_t>(c.rows * 31 + c.cols * 7 + c.n_tokens));
  const auto w = random_floats(rng, static_cast<size_t>(c.rows * c.cols));
  const auto x = random_floats(rng, static_cast<size_t>(c.n_tokens * c.cols));
  const std::vector<float> want = matmul_rows(hc, hc.weight(c.type, w, c.rows, c.cols), x, c.n_tokens);
  const std::vector<float> got = matmul_rows(hg, hg.weight(c.type, w, c.rows, c.cols), x, c.n_tokens);
  expect_close(got, want, 1e-2, case_name({c, 0}));
}

std::vector<A16Case> cases() {
  struct Shape {
    int64_t rows, cols;
  };
  // Rows not a multiple of the 128-row tile; K = 32 * odd: 3 units (one
  // partial k-step of 4), 11 (a k-step's scales at an 8-byte offset in
  // their chunk), 65 (split along K, one unit in the last step), 131 (split,
  // a partial last slice).
  const Shape shapes[] = {{200, 96}, {129, 352}, {392, 2080}, {70, 4192}};
  std::vector<A16Case> out;
  for (GgmlType t : {GgmlType::kQ4_0, GgmlType::kQ8_0}) {
    for (const Shape& s : shapes) {
      for (int64_t n : {1, 2, 3, 7, 8, 16, 31, 33, 64, 65, 100}) out.push_back({t, n, s.rows, s.cols});
    }
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Types, A16Matmul, ::testing::ValuesIn(cases()), case_name);

// The kernel dequantises each weight to the F16 copy's value: its products
// are the BLAS's on the copy (matmul_prompt) but for the order of F32 sums.
TEST(A16Gemm, AgreesWithTheBlasOnTheF16CopyUpToSummationOrder) {
  auto gpu = invariant_gpu(F16CopyMode::kOn);
  ASSERT_NE(gpu, nullptr);
  OpHarness h(*gpu);
  constexpr int64_t kRows = 300;
  constexpr int64_t kCols = 4096;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0}) {
    std::mt19937 rng(41);
    const backend::Tensor w = h.weight(type, random_floats(rng, kRows * kCols), kRows, kCols, "blk.0.ffn_up.weight");
    for (int64_t n : {1, 8, 64}) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " at " + std::to_string(n) + " tokens");
      const BothKinds out = both_kinds(h, w, h.f32(random_floats(rng, static_cast<size_t>(n * kCols)), n, kCols));
      // F32 sums of 4096 products in two orders: a few 1e-6; weights one F16
      // rounding apart on 1% of them would add about 3e-5.
      expect_close(out.generated, out.prompt, 1e-5, "against the BLAS on the copy");
    }
  }
}

// One-hot activation rows pick single weights: the outputs are the F16
// weights the kernel unpacked, exactly, and the BLAS's on the copy are the
// copy's. Columns 67 i cover every position in a 32-element unit.
TEST(A16Gemm, UnpacksTheF16CopysWeightsExactly) {
  auto gpu = invariant_gpu(F16CopyMode::kOn);
  ASSERT_NE(gpu, nullptr);
  OpHarness h(*gpu);
  constexpr int64_t kRows = 300;
  constexpr int64_t kCols = 4096;
  constexpr int64_t kTokens = 100;
  std::vector<float> x(static_cast<size_t>(kTokens * kCols), 0.0f);
  for (int64_t i = 0; i < kTokens; ++i) x[static_cast<size_t>(i * kCols + (i * 67) % kCols)] = 1.0f;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0}) {
    SCOPED_TRACE(gguf::ggml_type_name(type));
    std::mt19937 rng(53);
    // Scales of both signs, large and subnormal in F16 among the rows.
    std::vector<float> values = random_floats(rng, kRows * kCols, -1.0f, 1.0f);
    for (int64_t r = 0; r < kRows; ++r) {
      const float scale = r % 3 == 0 ? 1e4f : r % 3 == 1 ? 1e-6f : -1.0f;
      for (int64_t k = 0; k < kCols; ++k) values[static_cast<size_t>(r * kCols + k)] *= scale;
    }
    const backend::Tensor w = h.weight(type, values, kRows, kCols, "blk.0.ffn_up.weight");
    const BothKinds out = both_kinds(h, w, h.f32(x, kTokens, kCols));
    EXPECT_EQ(out.generated, out.prompt);
  }
}

// The backend's choice: generated rows of Q4_0 and Q8_0 take the kernel
// whether the weight has an F16 copy or not (the same bits both ways: the
// copy is not read), and not the int8 GEMM, which matches the CPU's 8-bit
// activations to 1e-4 where F16 activations differ from them by about 4e-3.
TEST(A16Gemm, InvariantGeneratedRowsTakeItWithOrWithoutACopy) {
  backend::CpuBackend cpu(2);
  auto with_copy = invariant_gpu(F16CopyMode::kOn);
  auto without = invariant_gpu(F16CopyMode::kOff);
  ASSERT_NE(with_copy, nullptr);
  ASSERT_NE(without, nullptr);
  OpHarness hc(cpu);
  OpHarness h_with(*with_copy);
  OpHarness h_without(*without);
  constexpr int64_t kRows = 256;
  constexpr int64_t kCols = 1024;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0}) {
    std::mt19937 rng(43);
    const auto w = random_floats(rng, kRows * kCols);
    const char* name = "blk.0.attn_q.weight";
    const backend::Tensor w_cpu = hc.weight(type, w, kRows, kCols, name);
    const backend::Tensor w_with = h_with.weight(type, w, kRows, kCols, name);
    const backend::Tensor w_without = h_without.weight(type, w, kRows, kCols, name);
    EXPECT_TRUE(with_copy->prompt_rows_differ()) << "the weight should have a copy, for prompt rows";
    for (int64_t n : {1, 8, 64, 100}) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " at " + std::to_string(n) + " tokens");
      const auto x = random_floats(rng, static_cast<size_t>(n * kCols));
      const std::vector<float> want = matmul_rows(hc, w_cpu, x, n);
      const std::vector<float> got_with = matmul_rows(h_with, w_with, x, n);
      const std::vector<float> got_without = matmul_rows(h_without, w_without, x, n);
      EXPECT_EQ(got_with, got_without) << "a weight with a copy took another kernel";
      const double err = relative_error(got_without, want);
      EXPECT_GT(err, 1e-3) << "8-bit activations: not the GEMM on F16 ones";
      EXPECT_LE(err, 1e-2);
    }
  }
}

// A process that decodes more than kA16InvariantMaxRows sequences a step
// reads the F16 copy for generated rows (its BLAS sums in another order);
// one that decodes up to that many takes the kernel, copy or not.
TEST(A16Gemm, InvariantGeneratedRowsOfABusierProcessReadTheCopy) {
  backend::CpuBackend cpu(2);
  auto busy = invariant_gpu(F16CopyMode::kOn, backend::gpu::kA16InvariantMaxRows + 1);
  auto quiet = invariant_gpu(F16CopyMode::kOn, backend::gpu::kA16InvariantMaxRows);
  auto without = invariant_gpu(F16CopyMode::kOff, backend::gpu::kA16InvariantMaxRows + 1);
  ASSERT_NE(busy, nullptr);
  ASSERT_NE(quiet, nullptr);
  ASSERT_NE(without, nullptr);
  OpHarness hc(cpu);
  OpHarness h_busy(*busy);
  OpHarness h_quiet(*quiet);
  OpHarness h_without(*without);
  constexpr int64_t kRows = 512;
  constexpr int64_t kCols = 2048;
  std::mt19937 rng(53);
  const auto w = random_floats(rng, kRows * kCols);
  const char* name = "blk.0.ffn_down.weight";
  const backend::Tensor w_cpu = hc.weight(GgmlType::kQ4_0, w, kRows, kCols, name);
  const backend::Tensor w_busy = h_busy.weight(GgmlType::kQ4_0, w, kRows, kCols, name);
  const backend::Tensor w_quiet = h_quiet.weight(GgmlType::kQ4_0, w, kRows, kCols, name);
  const backend::Tensor w_without = h_without.weight(GgmlType::kQ4_0, w, kRows, kCols, name);
  for (int64_t n : {1, 33}) {
    SCOPED_TRACE(std::to_string(n) + " tokens");
    const auto x = random_floats(rng, static_cast<size_t>(n * kCols));
    const std::vector<float> want = matmul_rows(hc, w_cpu, x, n);
    const std::vector<float> on_copy = matmul_rows(h_busy, w_busy, x, n);
    const std::vector<float> kernel = matmul_rows(h_quiet, w_quiet, x, n);
    EXPECT_EQ(matmul_rows(h_without, w_without, x, n), kernel) << "without a copy, the kernel whatever the load";
    EXPECT_NE(on_copy, kernel) << "the same bits: the busy process did not read the copy";
    EXPECT_LE(relative_error(on_copy, want), 1e-2);
    EXPECT_LE(relative_error(kernel, want), 1e-2);
  }
}

// A row's outputs are the same bits among 1 to 300 random rows: at small
// shapes (one row tile and a split one) and at Llama-3-8B's.
TEST(A16Gemm, RowsDoNotDependOnTheOtherRows) {
  auto gpu = invariant_gpu();
  ASSERT_NE(gpu, nullptr);
  struct Shape {
    int64_t rows, cols;
    bool llama;
  };
  const Shape shapes[] = {{200, 96, false},   {392, 2080, false},  {4096, 4096, true},
                          {1024, 4096, true}, {14336, 4096, true}, {4096, 14336, true}};
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0}) {
    for (const Shape& s : shapes) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " " + std::to_string(s.rows) + " x " +
                   std::to_string(s.cols));
      OpHarness h(*gpu);  // its buffers go with it: one shape's at a time
      std::mt19937 rng(47);
      const backend::Tensor w =
          h.weight(type, random_floats(rng, static_cast<size_t>(s.rows * s.cols)), s.rows, s.cols);
      const std::vector<float> token = random_floats(rng, static_cast<size_t>(s.cols));
      const backend::Tensor one_out = h.poisoned(1, s.rows);
      gpu->matmul(w, h.f32(token, 1, s.cols), one_out);
      const std::vector<float> alone = h.read(one_out);
      if (s.llama) {
        expect_rows_independent(h, w, token, alone, {2, 8, 17, 63, 64, 65, 300}, rng, /*prompt=*/false);
      } else {
        expect_rows_independent(h, w, token, alone, {2, 3, 7, 8, 16, 31, 33, 64, 65, 100, 130, 300}, rng,
                                /*prompt=*/false);
      }
    }
  }
}

}  // namespace
}  // namespace rocmforge::testing
