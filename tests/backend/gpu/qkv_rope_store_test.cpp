// A decode layer's Q, K and V products followed by the RoPE of Q and K and
// the store of K and V into the paged cache. For one or two tokens, adjacent
// RoPE pairs and F32 or F16 caches the GPU backend finishes the products
// with the RoPE and the store in the matrix-vector kernel's epilogue; then
// Q, K, V and both caches must hold the bits of the same ops kept apart (a
// synchronize after the products), and the CPU's values within rounding.
// The other cases (NEOX pairs, a Q8_0 cache, three tokens, an op between
// the RoPE and the store) keep the products held behind the RoPE and must
// come out the same as well.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

constexpr int64_t kBlock = 16;
constexpr int64_t kBlocks = 8;

struct QkvCase {
  std::string name;
  GgmlType type;
  int64_t cols;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t head_dim_v;
  int64_t n_rot;
  bool neox;
  backend::KvTypes types;
  std::vector<int32_t> positions;  // one per token
  bool yarn = false;               // YaRN's ramp and per-pair frequency factors
  bool scale_q = false;            // Q scaled between the RoPE and the store
};

struct Inputs {
  std::vector<float> x, wq, wk, wv, factors;
};

struct Outputs {
  std::vector<float> q, k, v;
  std::vector<std::byte> k_cache, v_cache;
};

// The layer's ops on h's backend; with `apart`, a synchronize after the products.
Outputs run(OpHarness& h, const QkvCase& c, const Inputs& in, bool apart) {
  backend::Backend& be = h.backend();
  const auto n = static_cast<int64_t>(c.positions.size());
  const int64_t qw = c.n_head * c.head_dim;
  const int64_t kw = c.n_head_kv * c.head_dim;
  const int64_t vw = c.n_head_kv * c.head_dim_v;
  const Tensor wq = h.weight(c.type, in.wq, qw, c.cols, "blk.0.attn_q.weight");
  const Tensor wk = h.weight(c.type, in.wk, kw, c.cols, "blk.0.attn_k.weight");
  const Tensor wv = h.weight(c.type, in.wv, vw, c.cols, "blk.0.attn_v.weight");
  const Tensor x = h.f32(in.x, n, c.cols);
  const Tensor q = h.poisoned(n, qw, qw + 4);
  const Tensor k = h.poisoned(n, kw);
  const Tensor v = h.poisoned(n, vw, vw + 8);
  const LayerCache cache = layer_cache(h, {1, c.n_head_kv, c.head_dim, c.head_dim_v, kBlock, kBlocks, c.types});
  const backend::BatchView batch = scattered_batch(h, c.positions, kBlock * kBlocks);

  backend::RopeParams p = llama3_rope(h, c.head_dim, c.n_rot, c.neox, c.yarn ? &in.factors : nullptr);
  be.matmul(wq, x, q);
  be.matmul(wk, x, k);
  be.matmul(wv, x, v);
  if (apart) {
    EXPECT_TRUE(be.synchronize());
  }
  p.n_heads = c.n_head;
  be.rope(q, batch.positions, p);
  p.n_heads = c.n_head_kv;
  be.rope(k, batch.positions, p);
  if (c.scale_q) be.scale(q, 0.5f);
  be.store_kv(cache.kv, cache.layout, k, v, batch);
  Outputs out{h.read(q), h.read(k), h.read(v), h.read_bytes(cache.kv.k, cache.k_bytes),
              h.read_bytes(cache.kv.v, cache.v_bytes)};
  const Status s = be.synchronize();
  EXPECT_TRUE(s) << c.name << ": " << s.error().to_string();
  return out;
}

class QkvRopeStore : public ::testing::TestWithParam<QkvCase> {};

TEST_P(QkvRopeStore, SameBitsAsTheSeparateOps) {
  const QkvCase& c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 131 + c.n_head * 7 + c.positions.size()));
  const auto n = c.positions.size();
  Inputs in;
  in.x = random_floats(rng, n * static_cast<size_t>(c.cols));
  in.wq = random_floats(rng, static_cast<size_t>(c.n_head * c.head_dim * c.cols));
  in.wk = random_floats(rng, static_cast<size_t>(c.n_head_kv * c.head_dim * c.cols));
  in.wv = random_floats(rng, static_cast<size_t>(c.n_head_kv * c.head_dim_v * c.cols));
  in.factors = random_floats(rng, static_cast<size_t>(c.n_rot / 2), 1.0f, 8.0f);

  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  OpHarness hg(*gpu);
  const Outputs together = run(hg, c, in, false);
  const Outputs apart = run(hg, c, in, true);
  expect_same_bits(together.q, apart.q, c.name + ": Q");
  expect_same_bits(together.k, apart.k, c.name + ": K");
  expect_same_bits(together.v, apart.v, c.name + ": V");
  expect_same_bits(together.k_cache, apart.k_cache, c.name + ": K cache");
  expect_same_bits(together.v_cache, apart.v_cache, c.name + ": V cache");

  // The products' sums run in another order than the CPU's, or on F16 activations.
  backend::CpuBackend cpu(2);
  OpHarness hc(cpu);
  const Outputs want = run(hc, c, in, false);
  const double tol = default_mode_f16_activations(c.type, static_cast<int64_t>(n)) ? 1e-2 : 1e-5;
  expect_close(together.q, want.q, tol, c.name + ": Q against the CPU");
  expect_close(together.k, want.k, tol, c.name + ": K against the CPU");
  expect_close(together.v, want.v, tol, c.name + ": V against the CPU");
}

std::vector<QkvCase> cases() {
  const backend::KvTypes f16{GgmlType::kF16, GgmlType::kF16};
  const backend::KvTypes f32{GgmlType::kF32, GgmlType::kF32};
  const backend::KvTypes q8{GgmlType::kQ8_0, GgmlType::kQ8_0};
  const std::vector<int32_t> one = {700};
  const std::vector<int32_t> two = {5, 70000};
  return {
      // In the products' epilogue.
      {"q4_0_one_token_gqa4_d128_f16", GgmlType::kQ4_0, 256, 32, 8, 128, 128, 128, false, f16, one},
      {"q4_0_two_tokens_gqa4_d128_f32", GgmlType::kQ4_0, 256, 32, 8, 128, 128, 128, false, f32, two},
      {"q8_0_one_token_gqa8_d64_f16", GgmlType::kQ8_0, 128, 16, 2, 64, 64, 64, false, f16, one},
      {"q4_k_two_tokens_d64_f16", GgmlType::kQ4_K, 256, 8, 4, 64, 64, 64, false, f16, two},
      {"f16_two_tokens_d64_f32", GgmlType::kF16, 96, 8, 2, 64, 64, 64, false, f32, two},
      {"partial_rotation_d128_rot64_f16", GgmlType::kQ4_0, 128, 8, 2, 128, 128, 64, false, f16, two},
      {"yarn_and_factors_d128_f16", GgmlType::kQ8_0, 128, 16, 4, 128, 128, 128, false, f16, two, true},
      {"tiny_heads_d8_gqa2_f32", GgmlType::kQ4_0, 64, 8, 4, 8, 8, 8, false, f32, one},
      {"v_heads_narrower_k64_v32_f16", GgmlType::kQ4_0, 128, 8, 2, 64, 32, 64, false, f16, one},
      // More rows than one wave of 2-row blocks holds on an H200 (over 4,224):
      // blocks of 4 rows (kMatvecQkvRows); V's 6 rows end in a block of 2.
      {"four_row_blocks_q4_0_f16", GgmlType::kQ4_0, 128, 64, 8, 64, 64, 64, false, f16, one},
      {"four_row_blocks_q4_k_f32", GgmlType::kQ4_K, 256, 64, 8, 64, 64, 64, false, f32, one},
      {"four_row_blocks_v_rows_6_f16", GgmlType::kQ4_0, 128, 80, 1, 64, 6, 64, false, f16, one},
      // Held behind the RoPE, then launched apart.
      {"neox_pairs_f16", GgmlType::kQ4_0, 128, 16, 4, 64, 64, 64, true, f16, two},
      {"q8_0_cache", GgmlType::kQ4_0, 128, 16, 4, 64, 64, 64, false, q8, one},
      {"three_tokens_f16", GgmlType::kQ4_0, 128, 16, 4, 64, 64, 64, false, f16, {3, 4, 900}},
      {"k_f16_v_f32", GgmlType::kQ4_0, 128, 16, 4, 64, 64, 64, false, {GgmlType::kF16, GgmlType::kF32}, one},
      {"q_scaled_before_the_store", GgmlType::kQ4_0, 128, 16, 4, 64, 64, 64, false, f16, one, false, true},
  };
}

INSTANTIATE_TEST_SUITE_P(Shapes, QkvRopeStore, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<QkvCase>& p) { return p.param.name; });

// A slot outside the pool is reported by the next wait, from the products'
// epilogue as from the store; the backend stays usable.
TEST(QkvRopeStoreErrors, SlotOutsideThePoolIsReported) {
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  OpHarness h(*gpu);
  backend::Backend& be = h.backend();
  std::mt19937 rng(5);
  const int64_t cols = 64;
  const Tensor wq = h.weight(GgmlType::kQ4_0, random_floats(rng, 8 * 64 * cols), 8 * 64, cols, "blk.0.attn_q.weight");
  const Tensor wk = h.weight(GgmlType::kQ4_0, random_floats(rng, 2 * 64 * cols), 2 * 64, cols, "blk.0.attn_k.weight");
  const Tensor wv = h.weight(GgmlType::kQ4_0, random_floats(rng, 2 * 64 * cols), 2 * 64, cols, "blk.0.attn_v.weight");
  const Tensor x = h.f32(random_floats(rng, cols), 1, cols);
  const Tensor q = h.poisoned(1, 8 * 64);
  const Tensor k = h.poisoned(1, 2 * 64);
  const Tensor v = h.poisoned(1, 2 * 64);
  const LayerCache cache = layer_cache(h, {1, 2, 64, 64, kBlock, kBlocks, {GgmlType::kF16, GgmlType::kF16}});
  backend::BatchView batch;
  batch.positions = h.ints({12});
  batch.slots = h.ints({static_cast<int32_t>(cache.layout.slots())});
  batch.n_tokens = 1;
  backend::RopeParams p;
  p.head_dim = 64;
  p.n_rot = 64;
  be.matmul(wq, x, q);
  be.matmul(wk, x, k);
  be.matmul(wv, x, v);
  p.n_heads = 8;
  be.rope(q, batch.positions, p);
  p.n_heads = 2;
  be.rope(k, batch.positions, p);
  be.store_kv(cache.kv, cache.layout, k, v, batch);
  const Status st = be.synchronize();
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message().find("KV slot"), std::string::npos) << st.error().to_string();
  const std::vector<float> got = h.read(v);
  EXPECT_TRUE(be.synchronize());  // reported once
  for (float f : got) EXPECT_FALSE(std::isnan(f)) << "V is written all the same";
}

}  // namespace
}  // namespace rocmforge::testing
