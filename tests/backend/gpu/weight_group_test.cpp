// Weights loaded as a group (Backend::load_weight_group: a layer's Q, K and
// V) lie side by side in device memory, and products over one input that
// write side by side outputs give what the CPU gives. Where the BLAS takes
// them (F16 weights, or F16 copies from kF16CopyMinTokens), the held
// products go out as one GEMM over the joined weight, and where the
// matrix-vector kernel takes them each row's sum is its own: either way the
// same bits as one product over the three weights taken as one.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "backend/gpu/dense_gemm_policy.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

constexpr int64_t kCols = 512;
const std::vector<int64_t> kRows = {256, 128, 128};  // Q, K and V of a grouped-query layer
const std::vector<std::string> kNames = {"blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.attn_v.weight"};

// The three products into side by side columns of one [n, 512] output, as
// Backend::matmul_prompt takes prompt rows or as matmul takes the others.
std::vector<float> grouped_products(OpHarness& h, const std::vector<Tensor>& w, const Tensor& x, bool prompt = false) {
  const Tensor out = h.poisoned(x.rows, kRows[0] + kRows[1] + kRows[2]);
  int64_t col = 0;
  for (const Tensor& t : w) {
    if (prompt) {
      h.backend().matmul_prompt(t, x, out.slice_cols(col, t.rows));
    } else {
      h.backend().matmul(t, x, out.slice_cols(col, t.rows));
    }
    col += t.rows;
  }
  return h.read(out);
}

// A CPU backend and a GPU one that keeps F16 copies, side by side.
class WeightGroup : public ::testing::Test {
 protected:
  static backend::gpu::GpuOptions with_copies() {
    backend::gpu::GpuOptions o;
    o.f16_copies = backend::gpu::F16CopyMode::kOn;
    return o;
  }
  void SetUp() override {
    gpu_ = make_gpu_backend(with_copies());
    ASSERT_NE(gpu_, nullptr);
    gpu_harness_ = std::make_unique<OpHarness>(*gpu_);
  }

  backend::CpuBackend cpu_{2};
  std::unique_ptr<backend::Backend> gpu_;
  OpHarness hc{cpu_};
  std::unique_ptr<OpHarness> gpu_harness_;
};

TEST_F(WeightGroup, ProductsSideBySideMatchTheCpuAndOneProduct) {
  OpHarness& h = *gpu_harness_;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kF16, GgmlType::kBF16}) {
    SCOPED_TRACE(gguf::ggml_type_name(type));
    std::mt19937 rng(41);
    const auto values = random_floats(rng, static_cast<size_t>(512 * kCols));
    const std::vector<Tensor> w = h.weight_group({type, type, type}, values, kRows, kCols, kNames);
    const std::vector<Tensor> w_cpu = hc.weight_group({type, type, type}, values, kRows, kCols, kNames);
    ASSERT_EQ(w.size(), 3u);
    ASSERT_EQ(w_cpu.size(), 3u);
    for (size_t i = 1; i < w.size(); ++i) {
      EXPECT_EQ(w[i].data, w[i - 1].row<std::byte>(w[i - 1].rows)) << "weight " << i << " does not follow the one before";
    }
    const Tensor joined{w[0].data, type, 512, kCols, w[0].row_stride};
    for (int64_t n : {int64_t{1}, int64_t{3}, int64_t{8}, backend::gpu::kF16CopyMinTokens, int64_t{300}}) {
      const std::string what = "at " + std::to_string(n) + " tokens";
      SCOPED_TRACE(what);
      const auto x = random_floats(rng, static_cast<size_t>(n * kCols));
      const std::vector<float> got = grouped_products(h, w, h.f32(x, n, kCols));
      expect_close(got, grouped_products(hc, w_cpu, hc.f32(x, n, kCols)), 1e-2, what);
      const bool matvec = n <= 3 && type != GgmlType::kF16 && type != GgmlType::kBF16;
      const bool blas = n >= backend::gpu::kF16CopyMinTokens || type == GgmlType::kF16 || type == GgmlType::kBF16;
      if (matvec || blas) expect_same_bits(got, matmul_rows(h, joined, x, n), "the grouped products against one " + what);
    }
  }
}

// A Q4_K_M file's mixture: V in Q6_K beside Q and K in Q4_K. The group
// loads weight by weight, and the products still match the CPU's.
TEST_F(WeightGroup, MixedTypesLoadOneByOne) {
  OpHarness& h = *gpu_harness_;
  const std::vector<GgmlType> types = {GgmlType::kQ4_K, GgmlType::kQ4_K, GgmlType::kQ6_K};
  std::mt19937 rng(43);
  const auto values = random_floats(rng, static_cast<size_t>(512 * kCols));
  const std::vector<Tensor> w = h.weight_group(types, values, kRows, kCols, kNames);
  const std::vector<Tensor> w_cpu = hc.weight_group(types, values, kRows, kCols, kNames);
  ASSERT_EQ(w.size(), 3u);
  for (size_t i = 0; i < w.size(); ++i) EXPECT_EQ(w[i].type, types[i]) << "weight " << i;
  for (int64_t n : {int64_t{1}, int64_t{8}, backend::gpu::kF16CopyMinTokens, int64_t{300}}) {
    const std::string what = "at " + std::to_string(n) + " tokens";
    const auto x = random_floats(rng, static_cast<size_t>(n * kCols));
    expect_close(grouped_products(h, w, h.f32(x, n, kCols)), grouped_products(hc, w_cpu, hc.f32(x, n, kCols)), 1e-2,
                 what);
  }
}

// Gate and up loaded as a group, written side by side in one [n, 2 ff]
// buffer as the forward pass lays them out, then the gated activation and
// the product over it. Where the BLAS takes gate and up as one GEMM (F16
// weights, or Q4_0's F16 copies; both from kF16CopyMinTokens on), their sums
// reach the activation in F16 and the F32 buffer is left unwritten
// (Backend::glu); either way the results match the CPU's.
TEST_F(WeightGroup, GateAndUpThenTheGatedActivationMatchTheCpu) {
  constexpr int64_t kFf = 1024;
  const std::vector<int64_t> rows = {kFf, kFf};
  const std::vector<std::string> names = {"blk.0.ffn_gate.weight", "blk.0.ffn_up.weight"};
  for (GgmlType type : {GgmlType::kF16, GgmlType::kQ4_0}) {
    std::mt19937 rng(53);
    const auto values = random_floats(rng, static_cast<size_t>(2 * kFf * kCols));
    const auto down = random_floats(rng, static_cast<size_t>(kCols * kFf));
    OpHarness* sides[2] = {&hc, gpu_harness_.get()};
    std::vector<Tensor> w[2];
    for (int s = 0; s < 2; ++s) w[s] = sides[s]->weight_group({type, type}, values, rows, kCols, names);
    ASSERT_EQ(w[1].size(), 2u);
    for (int64_t n : {int64_t{8}, backend::gpu::kF16CopyMinTokens, int64_t{512}}) {
      const std::string what = std::string(gguf::ggml_type_name(type)) + " at " + std::to_string(n) + " tokens";
      SCOPED_TRACE(what);
      const auto x = random_floats(rng, static_cast<size_t>(n * kCols), -2.0f, 2.0f);
      std::vector<float> got[2][3];  // gate and up, the activation, down
      for (int s = 0; s < 2; ++s) {
        OpHarness& h = *sides[s];
        backend::Backend& b = h.backend();
        const Tensor tx = h.f32(x, n, kCols);
        const Tensor gate_up = h.poisoned(n, 2 * kFf);
        const Tensor act = h.poisoned(n, kFf);
        const Tensor out = h.poisoned(n, kCols);
        b.matmul(w[s][0], tx, gate_up.slice_cols(0, kFf));
        b.matmul(w[s][1], tx, gate_up.slice_cols(kFf, kFf));
        b.glu(backend::GluKind::kSilu, gate_up.slice_cols(0, kFf), gate_up.slice_cols(kFf, kFf), act);
        b.matmul(h.weight(type, down, kCols, kFf), act, out);
        got[s][0] = h.read(gate_up);
        got[s][1] = h.read(act);
        got[s][2] = h.read(out);
      }
      expect_close(got[1][1], got[0][1], 1e-2, "the gated activation " + what);
      expect_close(got[1][2], got[0][2], 2e-2, "the product over it " + what);
      // Fewer tokens may take another path (F16 weights go to the BLAS from
      // a few): there gate and up are written and match the CPU's.
      const bool f16_sums = all_nan(got[1][0]);
      if (!f16_sums) expect_close(got[1][0], got[0][0], 1e-2, "gate and up " + what);
      if (n >= backend::gpu::kF16CopyMinTokens) {
        EXPECT_TRUE(f16_sums) << "gate and up went through F32";
      }
    }
  }
}

// The batch-invariant mode's products on the copies join as well, with the
// algorithm pinned for the joined shape: a token's outputs are the same bits
// whatever the other rows, as a prompt row and as a generated one.
TEST(WeightGroupInvariant, JoinedProductsDoNotDependOnTheOtherRows) {
  backend::gpu::GpuOptions o;
  o.f16_copies = backend::gpu::F16CopyMode::kOn;
  o.batch_invariant = true;
  auto gpu = make_gpu_backend(o);
  ASSERT_NE(gpu, nullptr);
  OpHarness h(*gpu);
  std::mt19937 rng(47);
  const auto values = random_floats(rng, static_cast<size_t>(512 * kCols));
  const std::vector<Tensor> w = h.weight_group({GgmlType::kQ5_0, GgmlType::kQ5_0, GgmlType::kQ5_0}, values, kRows,
                                               kCols, kNames);
  ASSERT_EQ(w.size(), 3u);
  const std::vector<float> token = random_floats(rng, static_cast<size_t>(kCols));
  for (bool prompt : {true, false}) {
    std::vector<float> alone;
    for (int64_t n : {int64_t{1}, int64_t{5}, int64_t{64}, int64_t{300}}) {
      std::vector<float> x = random_floats(rng, static_cast<size_t>(n * kCols));
      const int64_t at = (n * 5) / 7;
      std::copy(token.begin(), token.end(), x.begin() + at * kCols);
      const std::vector<float> all = grouped_products(h, w, h.f32(x, n, kCols), prompt);
      const std::vector<float> row(all.begin() + at * 512, all.begin() + (at + 1) * 512);
      if (n == 1) {
        alone = row;
      } else {
        EXPECT_EQ(row, alone) << (prompt ? "prompt" : "generated") << " row " << at << " of " << n;
      }
    }
  }
}

}  // namespace
}  // namespace rocmforge::testing
