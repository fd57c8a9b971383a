// CPU paged attention over F32, F16, BF16 and Q8_0 caches (K and V chosen
// apart): the cache holds ggml's rounding of each row, the result is the
// exact attention over the values as cached and the query as the K type's
// dot reads it, and a Q8_0 or BF16 cache stays within a measured distance of
// an F32 one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "attention_reference.h"
#include "backend/cpu/cpu_backend.h"
#include "quant/quant.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double diff = 0.0;
  double norm = 0.0;
  for (size_t i = 0; i < want.size(); ++i) {
    diff += (static_cast<double>(got[i]) - want[i]) * (static_cast<double>(got[i]) - want[i]);
    norm += static_cast<double>(want[i]) * want[i];
  }
  return std::sqrt(diff / norm);
}

std::vector<float> random_floats(std::mt19937& rng, size_t n, float lo, float hi) {
  std::uniform_real_distribution<float> pick(lo, hi);
  std::vector<float> out(n);
  for (float& x : out) x = pick(rng);
  return out;
}

struct Case {
  std::string name;
  AttentionShape shape;
  std::vector<Seq> seqs;
  backend::KvTypes types;
};

struct Problem {
  PagedBatch batch;
  std::vector<float> q, k, v;
};

Problem make_problem(const Case& c) {
  std::mt19937 rng(static_cast<uint32_t>(c.shape.head_dim * 131 + c.seqs.size()));
  Problem p;
  p.batch = make_paged_batch(c.seqs, 16, rng);
  const auto rows = p.batch.all_slots.size();
  const auto n_tokens = p.batch.positions.size();
  const AttentionShape& s = c.shape;
  p.k = random_floats(rng, rows * static_cast<size_t>(s.n_head_kv * s.head_dim), -1.0f, 1.0f);
  p.v = random_floats(rng, rows * static_cast<size_t>(s.n_head_kv * s.head_dim_v), -1.0f, 1.0f);
  p.q = random_floats(rng, n_tokens * static_cast<size_t>(s.n_head * s.head_dim), -2.0f, 2.0f);
  return p;
}

// The cache after storing every row, and the attention of the new tokens over it.
struct CacheRun {
  std::vector<std::byte> k_cache, v_cache;
  std::vector<float> out;
};

CacheRun run_cpu(const Case& c, const Problem& p, backend::KvTypes types) {
  const AttentionShape& s = c.shape;
  const backend::KvLayout layout{1, s.n_head_kv, s.head_dim, s.head_dim_v, p.batch.block_size, p.batch.n_blocks, types};
  CacheRun r;
  r.k_cache.resize(static_cast<size_t>(layout.slots()) * layout.k_row_bytes());
  r.v_cache.resize(static_cast<size_t>(layout.slots()) * layout.v_row_bytes());
  const backend::KvLayerView kv{r.k_cache.data(), r.v_cache.data()};
  backend::CpuBackend cpu(2);
  std::vector<float> k = p.k;
  std::vector<float> v = p.v;
  const auto rows = static_cast<int64_t>(p.batch.all_slots.size());
  backend::BatchView fill;
  fill.slots = p.batch.all_slots.data();
  fill.n_tokens = static_cast<int32_t>(rows);
  cpu.store_kv(kv, layout, backend::f32_tensor(k.data(), rows, s.n_head_kv * s.head_dim),
               backend::f32_tensor(v.data(), rows, s.n_head_kv * s.head_dim_v), fill);

  backend::BatchView batch;
  batch.positions = p.batch.positions.data();
  batch.token_seq = p.batch.token_seq.data();
  batch.block_tables = p.batch.tables.data();
  batch.n_tokens = static_cast<int32_t>(p.batch.positions.size());
  batch.n_seqs = static_cast<int32_t>(c.seqs.size());
  batch.max_blocks = p.batch.max_blocks;
  std::vector<float> q = p.q;
  r.out.assign(p.batch.positions.size() * static_cast<size_t>(s.n_head * s.head_dim_v), NAN);
  const backend::AttentionParams params{s.n_head, s.n_head_kv, s.head_dim, s.head_dim_v, s.scale, s.softcap, s.window};
  cpu.attention(backend::f32_tensor(q.data(), batch.n_tokens, s.n_head * s.head_dim), kv, layout, batch, params,
                backend::f32_tensor(r.out.data(), batch.n_tokens, s.n_head * s.head_dim_v));
  return r;
}

// Row `slot` of a cache of `type` with `n` elements a row, as floats.
std::vector<float> cached_row(GgmlType type, const std::vector<std::byte>& cache, int64_t slot, int64_t n) {
  const size_t row = gguf::ggml_row_size(type, n);
  std::vector<float> out(static_cast<size_t>(n));
  quant::dequantize_row(type, cache.data() + static_cast<size_t>(slot) * row, out.data(), n);
  return out;
}

class CpuAttention : public ::testing::TestWithParam<Case> {};

// Each slot's row holds ggml's rounding of the stored row (Q8_0: ggml's
// block layout with quantize_row_q8_0's rounding over the whole row).
TEST_P(CpuAttention, CacheHoldsTheRowsRounded) {
  const Case& c = GetParam();
  const Problem p = make_problem(c);
  const CacheRun r = run_cpu(c, p, c.types);
  const int64_t k_width = c.shape.n_head_kv * c.shape.head_dim;
  const int64_t v_width = c.shape.n_head_kv * c.shape.head_dim_v;
  const std::vector<float> k_want = as_cached(c.types.k, p.k);
  const std::vector<float> v_want = as_cached(c.types.v, p.v);
  for (size_t i = 0; i < p.batch.all_slots.size(); ++i) {
    const auto k = cached_row(c.types.k, r.k_cache, p.batch.all_slots[i], k_width);
    const auto v = cached_row(c.types.v, r.v_cache, p.batch.all_slots[i], v_width);
    ASSERT_TRUE(std::equal(k.begin(), k.end(), k_want.begin() + static_cast<std::ptrdiff_t>(i) * k_width)) << i;
    ASSERT_TRUE(std::equal(v.begin(), v.end(), v_want.begin() + static_cast<std::ptrdiff_t>(i) * v_width)) << i;
  }
}

// Exact attention over the cached values and the query as the K cache's dot
// reads it. An F16 V sum is rounded to F16 at every key, as ggml's: 2e-3
// covers it; F32 sums (F32, BF16 and Q8_0 V caches) agree to float rounding.
TEST_P(CpuAttention, MatchesExactAttentionOverTheCachedValues) {
  const Case& c = GetParam();
  const Problem p = make_problem(c);
  const CacheRun r = run_cpu(c, p, c.types);
  const auto want = reference_attention(c.shape, p.batch, query_as_read(c.types.k, p.q, c.shape.head_dim),
                                        as_cached(c.types.k, p.k), as_cached(c.types.v, p.v));
  const double err = relative_error(r.out, want);
  EXPECT_LE(err, c.types.v == GgmlType::kF16 ? 2e-3 : 2e-6) << c.name;
}

// A Q8_0 or BF16 cache against an F32 one: 8-bit K (and query) and V, or
// 8-bit mantissas. Measured on these cases: 3.0e-3 to 6.1e-3 relative error
// for Q8_0, 1.6e-3 to 2.4e-3 with BF16 (random rows in [-1, 1], queries in
// [-2, 2]); the bound leaves 2.5x.
TEST_P(CpuAttention, StaysCloseToAnF32Cache) {
  const Case& c = GetParam();
  const Problem p = make_problem(c);
  const CacheRun got = run_cpu(c, p, c.types);
  const CacheRun f32 = run_cpu(c, p, {GgmlType::kF32, GgmlType::kF32});
  const double err = relative_error(got.out, f32.out);
  std::printf("%s: relative error against an F32 cache %.2e\n", c.name.c_str(), err);
  EXPECT_LE(err, 1.5e-2) << c.name;
}

std::vector<Case> cases() {
  const GgmlType q8 = GgmlType::kQ8_0;
  const GgmlType f16 = GgmlType::kF16;
  const GgmlType f32 = GgmlType::kF32;
  const GgmlType bf16 = GgmlType::kBF16;
  return {
      {"prefill_d64_gqa4_q8_0", {8, 2, 64, 64, 0.125f}, {{0, 37}}, {q8, q8}},
      {"chunk_after_cache_d128_q8_0", {32, 8, 128, 128, 0.125f}, {{100, 20}}, {q8, q8}},
      {"decode_three_seqs_d128_k_q8_0_v_f16", {32, 8, 128, 128, 0.125f}, {{300, 1}, {17, 1}, {70, 1}}, {q8, f16}},
      {"stories_heads_d8_q8_0", {8, 4, 8, 8, 0.35f}, {{0, 12}, {40, 1}}, {q8, q8}},
      {"heads_d16_k_q8_0_v_f32", {4, 2, 16, 16, 0.25f}, {{9, 7}}, {q8, f32}},
      {"k96_v64_k_f16_v_q8_0", {8, 4, 96, 64, 0.125f}, {{20, 5}}, {f16, q8}},
      {"d256_k_f32_v_q8_0", {16, 2, 256, 256, 0.0625f}, {{60, 3}}, {f32, q8}},
      {"window_and_softcap_q8_0", {8, 2, 64, 64, 0.125f, 30.0f, 64}, {{300, 6}}, {q8, q8}},
      {"chunk_after_cache_d128_bf16", {32, 8, 128, 128, 0.125f}, {{100, 20}}, {bf16, bf16}},
      {"decode_two_seqs_d64_k_bf16_v_f16", {8, 2, 64, 64, 0.125f}, {{200, 1}, {33, 1}}, {bf16, f16}},
      {"stories_heads_d8_k_q8_0_v_bf16", {8, 4, 8, 8, 0.35f}, {{0, 12}, {40, 1}}, {q8, bf16}},
  };
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuAttention, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& param_info) { return param_info.param.name; });

}  // namespace
}  // namespace rocmforge::testing
