// F16 copies of quantised layer weights (GpuOptions::f16_copies): which
// weights get one, what they cost, and that products read them. From
// kDenseGemmMinTokens the copy gives the bits of the dequantising pass (the
// same F16 weight into the same BLAS call); from kF16CopyMinTokens (past
// kA16CopyHandoverTokens for the types the GEMM on F16 activations takes) up
// to there it replaces the quantised GEMMs, with the BLAS path's error
// against the CPU (matmul_test.cpp says why it is larger).
#include <gtest/gtest.h>

#include <random>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/dense_gemm_policy.h"
#include "backend/gpu/gemm_a16_policy.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::gpu::F16CopyMode;
using gguf::GgmlType;

constexpr int64_t kRows = 256;
constexpr int64_t kCols = 512;

std::unique_ptr<backend::Backend> gpu_with(F16CopyMode mode, bool batch_invariant = false) {
  backend::gpu::GpuOptions o;
  o.f16_copies = mode;
  o.batch_invariant = batch_invariant;
  return make_gpu_backend(o);
}

// Device bytes a weight of `name` takes when loaded into `b`.
uint64_t loaded_bytes(backend::Backend& b, GgmlType type, const std::string& name) {
  OpHarness h(b);
  std::mt19937 rng(3);
  const uint64_t before = b.memory_available().value_or(0);
  h.weight(type, random_floats(rng, kRows * kCols), kRows, kCols, name);
  return before - b.memory_available().value_or(0);
}

TEST(F16Copies, OnlyLayerMatricesGetACopyOfTwoBytesAnElement) {
  auto on = gpu_with(F16CopyMode::kOn);
  auto off = gpu_with(F16CopyMode::kOff);
  ASSERT_NE(on, nullptr);
  ASSERT_NE(off, nullptr);
  const uint64_t copy = static_cast<uint64_t>(kRows * kCols) * 2;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ4_K}) {
    SCOPED_TRACE(gguf::ggml_type_name(type));
    const uint64_t plain = loaded_bytes(*off, type, "blk.0.ffn_up.weight");
    EXPECT_GT(plain, 0u);
    EXPECT_EQ(loaded_bytes(*on, type, "blk.0.ffn_up.weight"), plain + copy);
    EXPECT_EQ(loaded_bytes(*on, type, "token_embd.weight"), plain);
    EXPECT_EQ(loaded_bytes(*on, type, "output.weight"), plain);
  }
  EXPECT_EQ(loaded_bytes(*on, GgmlType::kF16, "blk.0.ffn_up.weight"), loaded_bytes(*off, GgmlType::kF16, "blk.0.ffn_up.weight"));
}

// The batch-invariant mode's prompt rows (Backend::matmul_prompt) go through
// the BLAS on the copy with one algorithm for every row count: a prompt
// token's outputs are the same bits in a product of any number of rows,
// wherever it sits among them, and within the BLAS path's error of the CPU.
TEST(F16Copies, InvariantPromptRowsDoNotDependOnTheOtherRows) {
  backend::CpuBackend cpu(2);
  auto gpu = gpu_with(F16CopyMode::kOn, /*batch_invariant=*/true);
  ASSERT_NE(gpu, nullptr);
  EXPECT_FALSE(gpu->prompt_rows_differ()) << "no weight, no copy yet";
  OpHarness hc(cpu);
  OpHarness h(*gpu);
  constexpr int64_t kWide = 4096;  // several column tiles of any algorithm
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kF16}) {
    SCOPED_TRACE(gguf::ggml_type_name(type));
    std::mt19937 rng(29);
    const auto values = random_floats(rng, kRows * kWide);
    const backend::Tensor w = h.weight(type, values, kRows, kWide, "blk.3.attn_output.weight");
    const backend::Tensor w_cpu = hc.weight(type, values, kRows, kWide, "blk.3.attn_output.weight");
    if (type != GgmlType::kF16) {
      EXPECT_TRUE(gpu->prompt_rows_differ());  // an F16 weight has no copy
    }
    const std::vector<float> token = random_floats(rng, kWide);
    const backend::Tensor one_out = h.poisoned(1, kRows);
    gpu->matmul_prompt(w, h.f32(token, 1, kWide), one_out);
    const std::vector<float> alone = h.read(one_out);
    const backend::Tensor cpu_out = hc.poisoned(1, kRows);
    cpu.matmul(w_cpu, hc.f32(token, 1, kWide), cpu_out);
    expect_close(alone, hc.read(cpu_out), 1e-2, "one prompt row against the CPU");
    expect_rows_independent(h, w, token, alone, {2, 3, 8, 17, 64, 130, 300, 777}, rng);
  }
}

// The same at Llama-3-8B's shapes, whose algorithms are other than the small
// ones', for prompt rows and for generated ones (matmul). Q5_0: the
// generated rows of Q4_0 and Q8_0 take the GEMM on F16 activations instead
// of the copy (gemm_a16_test.cpp); the copy is F16 whatever the type.
TEST(F16Copies, InvariantPromptRowsAtLlama3Shapes) {
  auto gpu = gpu_with(F16CopyMode::kOn, /*batch_invariant=*/true);
  ASSERT_NE(gpu, nullptr);
  OpHarness h(*gpu);
  struct Shape {
    int64_t rows, cols;
  };
  for (const Shape s : {Shape{4096, 4096}, Shape{14336, 4096}, Shape{4096, 14336}, Shape{1024, 4096}}) {
    SCOPED_TRACE(std::to_string(s.rows) + " x " + std::to_string(s.cols));
    std::mt19937 rng(31);
    const backend::Tensor w = h.weight(GgmlType::kQ5_0, random_floats(rng, static_cast<size_t>(s.rows * s.cols)),
                                       s.rows, s.cols, "blk.0.ffn_up.weight");
    const std::vector<float> token = random_floats(rng, static_cast<size_t>(s.cols));
    const backend::Tensor one_out = h.poisoned(1, s.rows);
    gpu->matmul_prompt(w, h.f32(token, 1, s.cols), one_out);
    expect_rows_independent(h, w, token, h.read(one_out), {5, 128, 511, 2048}, rng);
    // Generated rows: their own algorithm (chosen for 64 rows, split K allowed), the same for every count.
    const backend::Tensor gen_out = h.poisoned(1, s.rows);
    gpu->matmul(w, h.f32(token, 1, s.cols), gen_out);
    expect_rows_independent(h, w, token, h.read(gen_out), {2, 8, 63, 64, 65, 300}, rng, /*prompt=*/false);
  }
}

TEST(F16Copies, ProductsReadTheCopy) {
  backend::CpuBackend cpu(2);
  auto on = gpu_with(F16CopyMode::kOn);
  auto off = gpu_with(F16CopyMode::kOff);
  ASSERT_NE(on, nullptr);
  ASSERT_NE(off, nullptr);
  OpHarness hc(cpu);
  OpHarness h_on(*on);
  OpHarness h_off(*off);
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::mt19937 rng(17);
    const auto w = random_floats(rng, kRows * kCols);
    const backend::Tensor w_cpu = hc.weight(type, w, kRows, kCols, "blk.0.ffn_down.weight");
    const backend::Tensor w_on = h_on.weight(type, w, kRows, kCols, "blk.0.ffn_down.weight");
    const backend::Tensor w_off = h_off.weight(type, w, kRows, kCols, "blk.0.ffn_down.weight");
    for (int64_t n : {int64_t{48}, backend::gpu::kF16CopyMinTokens, int64_t{100}, backend::gpu::kDenseGemmMinTokens,
                      int64_t{300}}) {
      const std::string what = std::string(gguf::ggml_type_name(type)) + " at " + std::to_string(n) + " tokens";
      SCOPED_TRACE(what);
      const auto x = random_floats(rng, static_cast<size_t>(n * kCols));
      const std::vector<float> want = matmul_rows(hc, w_cpu, x, n);
      const std::vector<float> got_on = matmul_rows(h_on, w_on, x, n);
      const std::vector<float> got_off = matmul_rows(h_off, w_off, x, n);
      expect_close(got_on, want, 1e-2, what);
      if (default_mode_f16_activations(type, n) && n > backend::gpu::kA16CopyHandoverTokens) {
        // The BLAS on the copy against the GEMM on F16 activations: the same weights, other sums.
        EXPECT_NE(got_on, got_off) << "the copy was not read past the GEMM on F16 activations' handover";
      } else if (default_mode_f16_activations(type, n)) {
        EXPECT_EQ(got_on, got_off) << "both should take the GEMM on F16 activations, which reads no copy";
      } else if (n >= backend::gpu::kDenseGemmMinTokens) {
        EXPECT_EQ(got_on, got_off) << "the copy and the dequantising pass should give the same F16 weight";
      } else if (n >= backend::gpu::kF16CopyMinTokens) {
        // The quantised GEMM reads 8-bit activations, the BLAS F16 ones: their sums differ somewhere.
        EXPECT_NE(got_on, got_off) << "the copy was not read below the dequantising pass's token count";
      } else {
        EXPECT_EQ(got_on, got_off) << "both should take the quantised GEMM, which reads no copy";
      }
    }
  }
}

}  // namespace
}  // namespace rocmforge::testing
