// GPU paged attention against the CPU backend: prefill and decode batches,
// several sequences with scattered block tables, grouped-query heads of
// several sizes, F16 and F32 caches, sliding windows and soft-capping, and
// enough keys for the decode path to split them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"
#include "quant/half.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

struct Seq {
  int32_t n_past;  // cached positions before the new tokens
  int32_t n_new;
};

struct AttnCase {
  std::string name;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t head_dim_v;
  std::vector<Seq> seqs;
  GgmlType kv_type;
  int64_t window = 0;
  float softcap = 0.0f;
};

class Attention : public ::testing::TestWithParam<AttnCase> {};

// Attention in double over the values as the cache holds them (and the query
// rounded to F16 for an F16 cache, as both backends do).
std::vector<float> reference(const AttnCase& c, const std::vector<float>& q, const std::vector<float>& k,
                             const std::vector<float>& v, const std::vector<int32_t>& positions,
                             const std::vector<int32_t>& token_seq, const std::vector<int32_t>& seq_start) {
  auto cached = [&](float x) {
    return c.kv_type == GgmlType::kF16 ? static_cast<double>(quant::fp16_to_fp32(quant::fp32_to_fp16(x)))
                                       : static_cast<double>(x);
  };
  const int64_t gqa = c.n_head / c.n_head_kv;
  std::vector<float> out(positions.size() * static_cast<size_t>(c.n_head * c.head_dim_v));
  for (size_t t = 0; t < positions.size(); ++t) {
    const int64_t base = seq_start[static_cast<size_t>(token_seq[t])];
    const int64_t n_keys = positions[t] + 1;
    const int64_t first = c.window > 0 ? std::max<int64_t>(0, n_keys - c.window) : 0;
    for (int64_t h = 0; h < c.n_head; ++h) {
      const int64_t kvh = h / gqa;
      std::vector<double> scores;
      for (int64_t j = first; j < n_keys; ++j) {
        double dot = 0.0;
        for (int64_t d = 0; d < c.head_dim; ++d) {
          dot += cached(q[(t * c.n_head + h) * c.head_dim + d]) *
                 cached(k[((base + j) * c.n_head_kv + kvh) * c.head_dim + d]);
        }
        double score = dot * 0.125;
        if (c.softcap != 0.0f) score = c.softcap * std::tanh(score / c.softcap);
        scores.push_back(score);
      }
      const double big = *std::max_element(scores.begin(), scores.end());
      double sum = 0.0;
      for (double& s : scores) sum += (s = std::exp(s - big));
      for (int64_t d = 0; d < c.head_dim_v; ++d) {
        double acc = 0.0;
        for (int64_t j = first; j < n_keys; ++j) {
          acc += scores[static_cast<size_t>(j - first)] * cached(v[((base + j) * c.n_head_kv + kvh) * c.head_dim_v + d]);
        }
        out[(t * c.n_head + h) * c.head_dim_v + d] = static_cast<float>(acc / sum);
      }
    }
  }
  return out;
}

TEST_P(Attention, MatchesCpu) {
  const AttnCase& c = GetParam();
  auto gpu = make_gpu_backend();
  ASSERT_NE(gpu, nullptr);
  backend::CpuBackend cpu(2);
  OpHarness hc(cpu);
  OpHarness hg(*gpu);
  std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 131 + c.seqs.size()));

  constexpr int64_t kBlock = 16;
  int32_t most = 0;
  for (const Seq& s : c.seqs) most = std::max(most, s.n_past + s.n_new);
  const int32_t max_blocks = (most + kBlock - 1) / kBlock + 2;  // rows longer than needed, as a padded table
  const auto n_seqs = static_cast<int64_t>(c.seqs.size());
  const int64_t n_blocks = n_seqs * max_blocks;
  backend::KvLayout layout{1, c.n_head_kv, c.head_dim, c.head_dim_v, kBlock, n_blocks, c.kv_type};

  // Each sequence's blocks scattered over the pool.
  std::vector<int32_t> pool(static_cast<size_t>(n_blocks));
  std::iota(pool.begin(), pool.end(), 0);
  std::shuffle(pool.begin(), pool.end(), rng);
  std::vector<int32_t> tables(pool.begin(), pool.end());

  // Every cached and new position: its slot; the new tokens: the query batch.
  std::vector<int32_t> all_slots;
  std::vector<int32_t> positions;
  std::vector<int32_t> token_seq;
  std::vector<int32_t> seq_start;  // each sequence's first row in the K/V arrays
  for (int64_t s = 0; s < n_seqs; ++s) {
    const Seq& q = c.seqs[static_cast<size_t>(s)];
    seq_start.push_back(static_cast<int32_t>(all_slots.size()));
    for (int32_t p = 0; p < q.n_past + q.n_new; ++p) {
      all_slots.push_back(tables[static_cast<size_t>(s * max_blocks + p / kBlock)] * kBlock + p % kBlock);
      if (p >= q.n_past) {
        positions.push_back(p);
        token_seq.push_back(static_cast<int32_t>(s));
      }
    }
  }
  const auto n_all = static_cast<int64_t>(all_slots.size());
  const auto n_tokens = static_cast<int64_t>(positions.size());
  const auto keys = random_floats(rng, static_cast<size_t>(n_all * c.n_head_kv * c.head_dim));
  const auto values = random_floats(rng, static_cast<size_t>(n_all * c.n_head_kv * c.head_dim_v));
  const auto queries = random_floats(rng, static_cast<size_t>(n_tokens * c.n_head * c.head_dim), -2.0f, 2.0f);
  const size_t elem = c.kv_type == GgmlType::kF16 ? 2 : 4;

  backend::AttentionParams p{c.n_head, c.n_head_kv, c.head_dim, c.head_dim_v, 0.125f, c.softcap, c.window};
  std::vector<float> got[2];
  for (int side = 0; side < 2; ++side) {
    OpHarness& h = side == 0 ? hc : hg;
    backend::KvLayerView kv{h.bytes(static_cast<size_t>(layout.slots() * c.n_head_kv * c.head_dim) * elem),
                            h.bytes(static_cast<size_t>(layout.slots() * c.n_head_kv * c.head_dim_v) * elem)};
    backend::BatchView fill;
    fill.slots = h.ints(all_slots);
    fill.n_tokens = static_cast<int32_t>(n_all);
    h.backend().store_kv(kv, layout, h.f32(keys, n_all, c.n_head_kv * c.head_dim),
                         h.f32(values, n_all, c.n_head_kv * c.head_dim_v), fill);
    backend::BatchView batch;
    batch.positions = h.ints(positions);
    batch.token_seq = h.ints(token_seq);
    batch.block_tables = h.ints(tables);
    batch.n_tokens = static_cast<int32_t>(n_tokens);
    batch.n_seqs = static_cast<int32_t>(n_seqs);
    batch.max_blocks = max_blocks;
    const Tensor q = h.f32(queries, n_tokens, c.n_head * c.head_dim, c.n_head * c.head_dim + 4);
    const Tensor out = h.poisoned(n_tokens, c.n_head * c.head_dim_v);
    h.backend().attention(q, kv, layout, batch, p, out);
    got[side] = h.read(out);
  }
  // The GPU accumulates in F32: close to the exact result. The CPU, like
  // ggml, accumulates values in the cache's precision: close to it by that.
  const auto want = reference(c, queries, keys, values, positions, token_seq, seq_start);
  expect_close(got[1], want, 1e-5, c.name + " against the exact result");
  expect_close(got[1], got[0], c.kv_type == GgmlType::kF16 ? 2e-2 : 1e-5, c.name + " against the CPU");
}

std::vector<AttnCase> cases() {
  const GgmlType f16 = GgmlType::kF16;
  const GgmlType f32 = GgmlType::kF32;
  return {
      {"prefill_d64_gqa4_f16", 8, 2, 64, 64, {{0, 37}}, f16},
      {"prefill_d64_gqa4_f32", 8, 2, 64, 64, {{0, 37}}, f32},
      {"chunk_after_cache_d128", 32, 8, 128, 128, {{100, 20}}, f16},
      {"decode_three_seqs_d128_split", 32, 8, 128, 128, {{1500, 1}, {17, 1}, {700, 1}}, f16},
      {"decode_long_f32_split", 8, 8, 64, 64, {{3000, 1}}, f32},
      {"mixed_prefill_and_decode", 16, 4, 128, 128, {{0, 9}, {250, 1}, {33, 4}}, f32},
      {"tiny_heads_d8_gqa2", 8, 4, 8, 8, {{0, 12}, {40, 1}}, f16},
      {"d256_gqa8_two_head_groups", 16, 2, 256, 256, {{60, 3}}, f32},
      {"k96_v64", 8, 4, 96, 64, {{20, 5}}, f16},
      {"window_and_softcap", 8, 2, 64, 64, {{300, 6}}, f32, 64, 30.0f},
      {"multi_query", 12, 1, 64, 64, {{90, 2}}, f16},
  };
}

INSTANTIATE_TEST_SUITE_P(Shapes, Attention, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<AttnCase>& info) { return info.param.name; });

}  // namespace
}  // namespace rocmforge::testing
