// The int8 tensor-core GEMM (gemm_q8_kernel.cuh) as the default mode uses it
// for a few tokens: products over one input held and joined into one launch
// (Q, K and V; gate and up), split along K when their tiles do not fill the
// GPU, the tile's last slice adding the others' partial sums. Against the
// CPU backend, which pairs the same 8-bit activations: float sums in another
// order only.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using gguf::GgmlType;

// Three weights over one input, multiplied one after another as a layer's
// Q, K and V are, twice (the second launch finds the split counters as the
// first left them), read back only at the end.
std::vector<std::vector<float>> joined_products(OpHarness& h, GgmlType type, const std::vector<float>& values,
                                                const std::vector<int64_t>& rows, int64_t cols,
                                                const std::vector<float>& x, int64_t n) {
  std::vector<backend::Tensor> w;
  size_t at = 0;
  for (int64_t r : rows) {
    const std::vector<float> part(values.begin() + static_cast<std::ptrdiff_t>(at),
                                  values.begin() + static_cast<std::ptrdiff_t>(at + r * cols));
    w.push_back(h.weight(type, part, r, cols, "blk.0.attn_" + std::to_string(w.size()) + ".weight"));
    at += static_cast<size_t>(r * cols);
  }
  std::vector<backend::Tensor> outs;
  for (int pass = 0; pass < 2; ++pass) {
    const backend::Tensor in = h.f32(std::vector<float>(x.begin() + pass * n * cols, x.begin() + (pass + 1) * n * cols),
                                     n, cols);
    for (const backend::Tensor& wi : w) {
      outs.push_back(h.poisoned(n, wi.rows));
      h.backend().matmul(wi, in, outs.back());
    }
  }
  std::vector<std::vector<float>> got;
  for (const backend::Tensor& o : outs) got.push_back(h.read(o));
  return got;
}

TEST(Q8Gemm, JoinedPartsSplitAlongKMatchTheCpu) {
  backend::CpuBackend cpu(2);
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  OpHarness hc(cpu);
  OpHarness hg(*gpu);
  const std::vector<int64_t> rows = {300, 70, 70};  // row tiles of 64 with a partial last one each
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ5_0, GgmlType::kQ4_K}) {
    // 131 units (a partial last k-step of 256, and slices of 5 k-steps with a
    // shorter last one), or 17 blocks of 256 for Q4_K.
    const int64_t cols = gguf::ggml_type_info(type).block_size == 256 ? 17 * 256 : 131 * 32;
    for (int64_t n : {5, 8, 12, 16, 24, 40}) {
      const std::string what = std::string(gguf::ggml_type_name(type)) + " at " + std::to_string(n) + " tokens";
      SCOPED_TRACE(what);
      std::mt19937 rng(static_cast<uint32_t>(cols + n));
      const auto values = random_floats(rng, static_cast<size_t>(440 * cols));
      const auto x = random_floats(rng, static_cast<size_t>(2 * n * cols));
      const auto want = joined_products(hc, type, values, rows, cols, x, n);
      const auto got = joined_products(hg, type, values, rows, cols, x, n);
      ASSERT_EQ(got.size(), want.size());
      // The GEMM on F16 activations takes Q4_0 and Q8_0 past q8_variant_max_tokens.
      const double tol = default_mode_f16_activations(type, n) ? 1e-2 : 1e-4;
      for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], tol, what + ", product " + std::to_string(i));
    }
  }
}

}  // namespace
}  // namespace rocmforge::testing
