// A layer's RoPE of Q and of K followed by the store of K and V into the
// paged cache. The GPU backend runs the three as one kernel for F32 and F16
// caches (rope_store.cuh) and as RoPE then store for Q8_0 ones; either way Q,
// K and both caches must hold the bits of the GPU's separate ops (kept apart
// here by a synchronize between the RoPE and the store), and the CPU's
// values within rounding: its V cache bytes exactly, Q and K (and so the K
// cache) to float rounding of the angles.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"
#include "quant/reference.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

constexpr int64_t kBlock = 16;
constexpr int64_t kBlocks = 8;

struct RopeStoreCase {
  std::string name;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t head_dim_v;
  int64_t n_rot;
  bool neox;
  backend::KvTypes types;
  std::vector<int32_t> positions;  // one per token
  bool qkv = false;                // Q, K and V as column slices of one tensor (a fused QKV projection)
  bool yarn = false;               // YaRN's ramp and per-pair frequency factors
};

struct Inputs {
  std::vector<float> q, k, v, factors;
};

// What the ops leave in Q, K and the caches.
struct Outputs {
  std::vector<float> q, k;
  std::vector<std::byte> k_cache, v_cache;
};

backend::KvLayout layout_of(const RopeStoreCase& c) {
  return {1, c.n_head_kv, c.head_dim, c.head_dim_v, kBlock, kBlocks, c.types};
}

// The layer's ops on h's backend: the RoPE of Q and of K, then the store of
// K and V; with `apart`, a synchronize between the RoPE and the store.
Outputs run(OpHarness& h, const RopeStoreCase& c, const Inputs& in, bool apart) {
  backend::Backend& be = h.backend();
  const auto n = static_cast<int64_t>(c.positions.size());
  const int64_t qw = c.n_head * c.head_dim;
  const int64_t kw = c.n_head_kv * c.head_dim;
  const int64_t vw = c.n_head_kv * c.head_dim_v;
  Tensor q, k, v;
  if (c.qkv) {
    std::vector<float> rows;
    for (int64_t r = 0; r < n; ++r) {
      rows.insert(rows.end(), in.q.begin() + r * qw, in.q.begin() + (r + 1) * qw);
      rows.insert(rows.end(), in.k.begin() + r * kw, in.k.begin() + (r + 1) * kw);
      rows.insert(rows.end(), in.v.begin() + r * vw, in.v.begin() + (r + 1) * vw);
    }
    const Tensor all = h.f32(rows, n, qw + kw + vw);
    q = all.slice_cols(0, qw);
    k = all.slice_cols(qw, kw);
    v = all.slice_cols(qw + kw, vw);
  } else {
    q = h.f32(in.q, n, qw, qw + 4);
    k = h.f32(in.k, n, kw, kw + 8);
    v = h.f32(in.v, n, vw);
  }
  const LayerCache cache = layer_cache(h, layout_of(c));
  const backend::BatchView batch = scattered_batch(h, c.positions, kBlock * kBlocks);

  backend::RopeParams p = llama3_rope(h, c.head_dim, c.n_rot, c.neox, c.yarn ? &in.factors : nullptr);
  p.n_heads = c.n_head;
  be.rope(q, batch.positions, p);
  p.n_heads = c.n_head_kv;
  be.rope(k, batch.positions, p);
  if (apart) {
    EXPECT_TRUE(be.synchronize());
  }
  be.store_kv(cache.kv, cache.layout, k, v, batch);
  Outputs out{h.read(q), h.read(k), h.read_bytes(cache.kv.k, cache.k_bytes), h.read_bytes(cache.kv.v, cache.v_bytes)};
  const Status s = be.synchronize();
  EXPECT_TRUE(s) << c.name << ": " << s.error().to_string();
  return out;
}

// A cache of `width`-element rows of `type`, as floats.
std::vector<float> decoded(GgmlType type, const std::vector<std::byte>& cache, int64_t width) {
  const size_t row = gguf::ggml_row_size(type, width);
  const size_t rows = cache.size() / row;
  std::vector<float> out(rows * static_cast<size_t>(width));
  for (size_t r = 0; r < rows; ++r) {
    quant::dequantize_row(type, cache.data() + r * row, out.data() + r * static_cast<size_t>(width), width);
  }
  return out;
}

// K differs from the CPU's by float rounding; stored, that moves a value
// across an F16 or BF16 rounding step now and then, and a Q8_0 block's scale or quant.
double k_cache_tolerance(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
      return 2e-6;
    case GgmlType::kF16:
      return 1e-4;
    default:
      return 1e-2;
  }
}

class RopeStore : public ::testing::TestWithParam<RopeStoreCase> {};

TEST_P(RopeStore, SameBitsAsTheSeparateOps) {
  const RopeStoreCase& c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 131 + c.n_head * 7 + c.positions.size()));
  const auto n = c.positions.size();
  Inputs in;
  in.q = random_floats(rng, n * static_cast<size_t>(c.n_head * c.head_dim), -2.0f, 2.0f);
  in.k = random_floats(rng, n * static_cast<size_t>(c.n_head_kv * c.head_dim), -2.0f, 2.0f);
  in.v = random_floats(rng, n * static_cast<size_t>(c.n_head_kv * c.head_dim_v), -2.0f, 2.0f);
  in.factors = random_floats(rng, static_cast<size_t>(c.n_rot / 2), 1.0f, 8.0f);

  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  OpHarness hg(*gpu);
  const Outputs together = run(hg, c, in, false);
  const Outputs apart = run(hg, c, in, true);
  expect_same_bits(together.q, apart.q, c.name + ": Q");
  expect_same_bits(together.k, apart.k, c.name + ": K");
  expect_same_bits(together.k_cache, apart.k_cache, c.name + ": K cache");
  expect_same_bits(together.v_cache, apart.v_cache, c.name + ": V cache");

  backend::CpuBackend cpu(2);
  OpHarness hc(cpu);
  const Outputs want = run(hc, c, in, false);
  expect_close(together.q, want.q, 2e-6, c.name + ": Q against the CPU");
  expect_close(together.k, want.k, 2e-6, c.name + ": K against the CPU");
  expect_same_bits(together.v_cache, want.v_cache, c.name + ": V cache against the CPU");
  const int64_t k_width = c.n_head_kv * c.head_dim;
  expect_close(decoded(c.types.k, together.k_cache, k_width), decoded(c.types.k, want.k_cache, k_width),
               k_cache_tolerance(c.types.k), c.name + ": K cache against the CPU");
}

std::vector<RopeStoreCase> cases() {
  const backend::KvTypes f16{GgmlType::kF16, GgmlType::kF16};
  const backend::KvTypes f32{GgmlType::kF32, GgmlType::kF32};
  const backend::KvTypes q8{GgmlType::kQ8_0, GgmlType::kQ8_0};
  const std::vector<int32_t> decode = {700};
  const std::vector<int32_t> mixed = {3, 4, 5, 900, 70000};  // a short prompt and decodes of other sequences
  std::vector<int32_t> prompt(40);
  for (size_t i = 0; i < prompt.size(); ++i) prompt[i] = static_cast<int32_t>(i);
  return {
      // One kernel: F32 and F16 caches, K and V apart or alike.
      {"decode_gqa4_d128_neox_f16", 32, 8, 128, 128, 128, true, f16, decode},
      {"decode_gqa4_d128_normal_f32", 32, 8, 128, 128, 128, false, f32, {5}},
      {"mixed_gqa4_d128_neox_f16", 32, 8, 128, 128, 128, true, f16, mixed},
      {"mixed_gqa4_d128_normal_f32", 32, 8, 128, 128, 128, false, f32, mixed},
      {"prompt_gqa8_d64_neox_f16", 16, 2, 64, 64, 64, true, f16, prompt},
      {"prompt_gqa8_d64_normal_f32", 16, 2, 64, 64, 64, false, f32, prompt},
      {"multi_head_d64_normal_f16", 4, 4, 64, 64, 64, false, f16, mixed},
      {"multi_query_d64_neox_f32", 12, 1, 64, 64, 64, true, f32, mixed},
      {"tiny_heads_d8_gqa2_normal_f16", 8, 4, 8, 8, 8, false, f16, mixed},
      {"partial_rotation_d64_rot32_neox_f16", 8, 2, 64, 64, 32, true, f16, mixed},
      {"partial_rotation_d128_rot64_normal_f32", 8, 2, 128, 128, 64, false, f32, mixed},
      {"k96_v64_k_f16_v_f32", 8, 4, 96, 64, 96, true, {GgmlType::kF16, GgmlType::kF32}, mixed},
      {"k64_v128_k_f32_v_f16", 8, 2, 64, 128, 64, false, {GgmlType::kF32, GgmlType::kF16}, mixed},
      // V rows of 6 elements: not whole float4s, copied an element a thread.
      {"v_width_6_f16", 4, 1, 64, 6, 64, false, f16, mixed},
      {"yarn_and_factors_d128_neox_f16", 32, 8, 128, 128, 128, true, f16, mixed, false, true},
      {"qkv_slices_gqa4_d64_neox_f16", 8, 2, 64, 64, 64, true, f16, mixed, true},
      {"qkv_slices_decode_gqa4_d128_normal_f32", 32, 8, 128, 128, 128, false, f32, decode, true},
      // RoPE then store, as before: a Q8_0 or BF16 K or V cache.
      {"q8_0_decode_gqa4_d128_neox", 32, 8, 128, 128, 128, true, q8, decode},
      {"q8_0_mixed_gqa4_d128_normal", 32, 8, 128, 128, 128, false, q8, mixed},
      {"q8_0_tiny_heads_d8_gqa2", 8, 4, 8, 8, 8, false, q8, mixed},
      {"k_q8_0_v_f16_d128", 16, 4, 128, 128, 128, true, {GgmlType::kQ8_0, GgmlType::kF16}, mixed},
      {"k_f16_v_q8_0_d64", 8, 2, 64, 64, 64, false, {GgmlType::kF16, GgmlType::kQ8_0}, mixed},
      {"bf16_mixed_gqa4_d128_neox", 32, 8, 128, 128, 128, true, {GgmlType::kBF16, GgmlType::kBF16}, mixed},
  };
}

INSTANTIATE_TEST_SUITE_P(Shapes, RopeStore, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<RopeStoreCase>& p) { return p.param.name; });

// A slot outside the pool is reported by the next wait; Q and K are rotated all the same.
TEST(RopeStoreErrors, SlotOutsideThePoolIsReported) {
  const RopeStoreCase c{"bad_slot", 8, 2, 64, 64, 64, true, {GgmlType::kF16, GgmlType::kF16}, {10, 11}};
  const backend::KvLayout layout = layout_of(c);
  std::mt19937 rng(11);
  const auto q = random_floats(rng, 2 * 8 * 64);
  const auto k = random_floats(rng, 2 * 2 * 64);
  const auto v = random_floats(rng, 2 * 2 * 64);
  backend::RopeParams p;
  p.head_dim = 64;
  p.n_rot = 64;
  p.neox = true;
  std::vector<float> got[2][2];
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  backend::CpuBackend cpu(1);
  for (int s = 0; s < 2; ++s) {
    OpHarness h(s == 0 ? static_cast<backend::Backend&>(cpu) : *gpu);
    const Tensor tq = h.f32(q, 2, 8 * 64);
    const Tensor tk = h.f32(k, 2, 2 * 64);
    backend::BatchView batch;
    batch.positions = h.ints(c.positions);
    batch.slots = h.ints({3, static_cast<int32_t>(layout.slots())});
    batch.n_tokens = 2;
    p.n_heads = 8;
    h.backend().rope(tq, batch.positions, p);
    p.n_heads = 2;
    h.backend().rope(tk, batch.positions, p);
    if (s == 0) {  // the CPU's store would refuse the slot: its RoPE alone
      got[s][0] = h.read(tq);
      got[s][1] = h.read(tk);
      continue;
    }
    const LayerCache cache = layer_cache(h, layout);
    h.backend().store_kv(cache.kv, layout, tk, h.f32(v, 2, 2 * 64), batch);
    const Status st = h.backend().synchronize();
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message().find("KV slot"), std::string::npos) << st.error().to_string();
    got[s][0] = h.read(tq);
    got[s][1] = h.read(tk);
    EXPECT_TRUE(h.backend().synchronize());  // reported once; the backend stays usable
  }
  expect_close(got[1][0], got[0][0], 2e-6, "Q");
  expect_close(got[1][1], got[0][1], 2e-6, "K");
}

}  // namespace
}  // namespace rocmforge::testing
