// F16 copies of quantised layer weights (GpuOptions::f16_copies): which
// weights get one, what they cost, and that products read them. From
// kDenseGemmMinTokens the copy gives the bits of the dequantising pass (the
// same F16 weight into the same BLAS call); from kF16CopyMinTokens up to
// there it replaces the quantised GEMM, with the BLAS path's error against
// the CPU (matmul_test.cpp says why it is larger).
#include <gtest/gtest.h>

#include <random>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/dense_gemm_policy.h"
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

TEST(F16Copies, AreRefusedWithBatchInvariantKernelsAndSkippedByAuto) {
  auto invariant_on = gpu_with(F16CopyMode::kOn, /*batch_invariant=*/true);
  auto invariant_auto = gpu_with(F16CopyMode::kAuto, /*batch_invariant=*/true);
  ASSERT_NE(invariant_on, nullptr);
  ASSERT_NE(invariant_auto, nullptr);
  gguf::TensorInfo info;
  info.name = "blk.0.attn_q.weight";
  info.type = GgmlType::kQ4_0;
  info.n_dims = 2;
  info.ne = {kCols, kRows, 1, 1};
  const Status refused = invariant_on->reserve_weights(std::span<const gguf::TensorInfo>(&info, 1));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().to_string().find("batch-invariant"), std::string::npos) << refused.error().to_string();
  auto plain = gpu_with(F16CopyMode::kOff, /*batch_invariant=*/true);
  ASSERT_NE(plain, nullptr);
  EXPECT_EQ(loaded_bytes(*invariant_auto, GgmlType::kQ4_0, "blk.0.attn_q.weight"),
            loaded_bytes(*plain, GgmlType::kQ4_0, "blk.0.attn_q.weight"));
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
    for (int64_t n : {backend::gpu::kF16CopyMinTokens, int64_t{100}, backend::gpu::kDenseGemmMinTokens, int64_t{300}}) {
      const std::string what = std::string(gguf::ggml_type_name(type)) + " at " + std::to_string(n) + " tokens";
      SCOPED_TRACE(what);
      const auto x = random_floats(rng, static_cast<size_t>(n * kCols));
      auto product = [&](OpHarness& h, const backend::Tensor& wt) {
        const backend::Tensor out = h.poisoned(n, kRows);
        h.backend().matmul(wt, h.f32(x, n, kCols), out);
        return h.read(out);
      };
      const std::vector<float> want = product(hc, w_cpu);
      const std::vector<float> got_on = product(h_on, w_on);
      const std::vector<float> got_off = product(h_off, w_off);
      expect_close(got_on, want, 1e-2, what);
      if (n >= backend::gpu::kDenseGemmMinTokens) {
        EXPECT_EQ(got_on, got_off) << "the copy and the dequantising pass should give the same F16 weight";
      } else {
        // The quantised GEMM reads 8-bit activations, the BLAS F16 ones: their sums differ somewhere.
        EXPECT_NE(got_on, got_off) << "the copy was not read below the dequantising pass's token count";
      }
    }
  }
}

}  // namespace
}  // namespace rocmforge::testing
