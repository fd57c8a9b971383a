// GPU paged attention against the CPU backend: prefill and decode batches,
// several sequences with scattered block tables, grouped-query heads of
// several sizes, F32, F16, BF16 and Q8_0 caches (K and V chosen apart), sliding
// windows and soft-capping, and enough keys for the decode path to split them
// (with F16 K and V, the tiled kernel; else the per-key one).
// Each case runs on two GPU backends: the default one, where F16 and BF16
// caches (K and V alike) of 64 or 128 dims go to the tensor-core kernels on
// CUDA (attention_mma.cuh for prefill, attention_decode_mma.cuh for the
// rest), whose 16-bit softmax weights put them about 1e-3 from the exact
// result; and a batch-invariant one, which keeps each row's own key splits
// and takes the decode tensor-core kernel for those caches (the split-K
// kernels and their F32 arithmetic for the rest).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <span>

#include "attention_reference.h"
#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

struct AttnCase {
  std::string name;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  int64_t head_dim_v;
  std::vector<Seq> seqs;
  backend::KvTypes types;
  int64_t window = 0;
  float softcap = 0.0f;
};

// Whether the default backend takes the case on tensor cores (on CUDA): F16
// or BF16 K and V (one type) of 64 or 128 dims, at most 16 query heads per
// KV head (kDecodeMmaHeads; the prefill kernel takes any, but no case has more).
bool tensor_cores(const AttnCase& c) {
  const bool sixteen_bit = c.types.k == c.types.v && (c.types.k == GgmlType::kF16 || c.types.k == GgmlType::kBF16);
  return sixteen_bit && c.head_dim == c.head_dim_v && (c.head_dim == 64 || c.head_dim == 128) &&
         c.n_head / c.n_head_kv <= 16;
}

// The batch's new tokens, in `h`'s backend memory.
backend::BatchView query_batch(OpHarness& h, const PagedBatch& b) {
  backend::BatchView batch;
  batch.positions = h.ints(b.positions);
  batch.token_seq = h.ints(b.token_seq);
  batch.block_tables = h.ints(b.tables);
  batch.n_tokens = static_cast<int32_t>(b.positions.size());
  batch.n_seqs = static_cast<int32_t>(b.seq_start.size());
  batch.max_blocks = b.max_blocks;
  return batch;
}

class Attention : public ::testing::TestWithParam<AttnCase> {};

TEST_P(Attention, MatchesCpu) {
  const AttnCase& c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.head_dim * 131 + c.seqs.size()));

  constexpr int64_t kBlock = 16;
  const PagedBatch b = make_paged_batch(c.seqs, kBlock, rng);
  backend::KvLayout layout{1, c.n_head_kv, c.head_dim, c.head_dim_v, kBlock, b.n_blocks, c.types};

  const auto n_all = static_cast<int64_t>(b.all_slots.size());
  const auto n_tokens = static_cast<int64_t>(b.positions.size());
  const auto keys = random_floats(rng, static_cast<size_t>(n_all * c.n_head_kv * c.head_dim));
  const auto values = random_floats(rng, static_cast<size_t>(n_all * c.n_head_kv * c.head_dim_v));
  const auto queries = random_floats(rng, static_cast<size_t>(n_tokens * c.n_head * c.head_dim), -2.0f, 2.0f);

  backend::AttentionParams p{c.n_head, c.n_head_kv, c.head_dim, c.head_dim_v, 0.125f, c.softcap, c.window};
  // The CPU, the default GPU backend, the batch-invariant one.
  constexpr int kSides = 3;
  std::vector<float> got[kSides];
  std::vector<std::byte> caches[kSides];
  for (int side = 0; side < kSides; ++side) {
    std::unique_ptr<backend::Backend> be =
        side == 0 ? std::make_unique<backend::CpuBackend>(2) : make_gpu_backend(/*batch_invariant=*/side == 2);
    ASSERT_NE(be, nullptr);
    OpHarness h(*be);
    const size_t k_bytes = static_cast<size_t>(layout.slots()) * layout.k_row_bytes();
    const size_t v_bytes = static_cast<size_t>(layout.slots()) * layout.v_row_bytes();
    backend::KvLayerView kv{h.bytes(k_bytes), h.bytes(v_bytes)};
    backend::BatchView fill;
    fill.slots = h.ints(b.all_slots);
    fill.n_tokens = static_cast<int32_t>(n_all);
    h.backend().store_kv(kv, layout, h.f32(keys, n_all, c.n_head_kv * c.head_dim),
                         h.f32(values, n_all, c.n_head_kv * c.head_dim_v), fill);
    const backend::BatchView batch = query_batch(h, b);
    const Tensor q = h.f32(queries, n_tokens, c.n_head * c.head_dim, c.n_head * c.head_dim + 4);
    const Tensor out = h.poisoned(n_tokens, c.n_head * c.head_dim_v);
    h.backend().attention(q, kv, layout, batch, p, out);
    got[side] = h.read(out);
    caches[side] = h.read_bytes(kv.k, k_bytes);
    const auto vb = h.read_bytes(kv.v, v_bytes);
    caches[side].insert(caches[side].end(), vb.begin(), vb.end());
    ASSERT_TRUE(h.backend().synchronize()) << c.name << " on side " << side;
  }
  // Both backends store the same bytes (Q8_0: the CPU's rounding of each block).
  for (int side = 1; side < kSides; ++side) {
    EXPECT_TRUE(caches[side] == caches[0]) << c.name << ": KV cache bytes differ on side " << side;
  }
  // The GPU accumulates in F32 over the values as cached and the query as the
  // K type's dot reads it: close to the exact result. The CPU, like ggml,
  // accumulates values in an F16 V cache's precision: close to it by that;
  // with F32, BF16 and Q8_0 V caches it sums in F32 too, as the split-K
  // kernels do (the tensor cores' 16-bit weights: about 1e-3 off).
  const AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim, c.head_dim_v, 0.125f, c.softcap, c.window};
  const auto want = reference_attention(shape, b, query_as_read(c.types.k, queries, c.head_dim),
                                        as_cached(c.types.k, keys), as_cached(c.types.v, values));
  expect_close(got[1], want, tensor_cores(c) ? 2e-3 : 1e-5, c.name + " against the exact result");
  expect_close(got[2], want, tensor_cores(c) ? 2e-3 : 1e-5,
               c.name + " (batch-invariant) against the exact result");
  expect_close(got[1], got[0], c.types.v == GgmlType::kF16 || tensor_cores(c) ? 2e-2 : 1e-5,
               c.name + " against the CPU");
}

std::vector<AttnCase> cases() {
  const backend::KvTypes f16{GgmlType::kF16, GgmlType::kF16};
  const backend::KvTypes f32{GgmlType::kF32, GgmlType::kF32};
  const backend::KvTypes q8{GgmlType::kQ8_0, GgmlType::kQ8_0};
  const backend::KvTypes bf16{GgmlType::kBF16, GgmlType::kBF16};
  // Decode batches of many sequences at several hundred keys each, of
  // staggered lengths: the tiles of the F16 kernel end at every offset.
  auto decodes = [](int32_t n, int32_t first, int32_t step) {
    std::vector<Seq> seqs;
    for (int32_t i = 0; i < n; ++i) seqs.push_back({first + i * step, 1});
    return seqs;
  };
  const std::vector<Seq> key_counts = {{0, 1}, {14, 1}, {15, 1}, {16, 1}, {32, 1}, {299, 1}, {1100, 1}};
  return {
      {"prefill_d64_gqa4_f16", 8, 2, 64, 64, {{0, 37}}, f16},
      {"prefill_d64_gqa4_f32", 8, 2, 64, 64, {{0, 37}}, f32},
      {"chunk_after_cache_d128", 32, 8, 128, 128, {{100, 20}}, f16},
      // The tensor-core prefill: a long prompt, tiles mixing two sequences, a
      // window with soft-capping, one and two head groups, a last tile of one row.
      {"mma_prefill_d128_gqa4_long", 32, 8, 128, 128, {{0, 300}}, f16},
      {"mma_tiles_mixing_two_seqs_d64", 8, 2, 64, 64, {{0, 21}, {50, 27}}, f16},
      {"mma_window_and_softcap_d64", 8, 2, 64, 64, {{200, 40}}, f16, 64, 30.0f},
      {"mma_multi_head_d128", 4, 4, 128, 128, {{0, 33}}, f16},
      {"mma_gqa8_two_head_groups_d64", 16, 2, 64, 64, {{10, 20}}, f16},
      {"mma_last_tile_of_one_row", 8, 2, 64, 64, {{5, 17}}, f16},
      {"decode_three_seqs_d128_split", 32, 8, 128, 128, {{1500, 1}, {17, 1}, {700, 1}}, f16},
      {"decode_long_f32_split", 8, 8, 64, 64, {{3000, 1}}, f32},
      {"mixed_prefill_and_decode", 16, 4, 128, 128, {{0, 9}, {250, 1}, {33, 4}}, f32},
      {"tiny_heads_d8_gqa2", 8, 4, 8, 8, {{0, 12}, {40, 1}}, f16},
      {"d256_gqa8_two_head_groups", 16, 2, 256, 256, {{60, 3}}, f32},
      {"k96_v64", 8, 4, 96, 64, {{20, 5}}, f16},
      {"window_and_softcap", 8, 2, 64, 64, {{300, 6}}, f32, 64, 30.0f},
      {"multi_query", 12, 1, 64, 64, {{90, 2}}, f16},
      // The tensor-core decode kernel (the default backend on CUDA): rows of
      // 1, 15, 16, 17, 33, 300 and 1101 keys in one batch, split at keys that
      // are not a multiple of its 16-key steps (with splits of no key for the
      // short rows); GQA 1, 4, 8 and 16 (two row tiles, also in multi_query's
      // 12 and gqa6's 6); a window not a multiple of 16, with soft-capping;
      // one split (tokens x KV heads that fill an H200, or rows of few keys);
      // short prompts beside decode rows. On an H200 steps of at most 66 tokens
      // x KV heads run in wide blocks (one split up to 512 keys, three for
      // the rows of 1,100 and 1,500, merged in a cluster; nine for 9,000
      // keys, merged by the second kernel), larger ones in narrow blocks
      // (one_split, and f16_decode_batch_d128_gqa4 below in two splits).
      {"mma_decode_key_counts_d128_gqa4", 32, 8, 128, 128, key_counts, f16},
      {"mma_decode_key_counts_d64_gqa1", 8, 8, 64, 64, key_counts, f16},
      {"mma_decode_key_counts_d64_gqa8", 16, 2, 64, 64, key_counts, f16},
      {"mma_decode_gqa16_d128", 32, 2, 128, 128, {{700, 1}, {16, 1}, {0, 1}}, f16},
      {"mma_decode_gqa16_window_and_softcap_d64", 16, 1, 64, 64, {{400, 1}, {50, 1}}, f16, 37, 50.0f},
      {"mma_decode_window_and_softcap_d128", 32, 8, 128, 128, {{1000, 1}, {36, 1}, {5, 1}}, f16, 37, 30.0f},
      {"mma_decode_one_split_d128_gqa4", 32, 8, 128, 128, decodes(40, 3, 29), f16},
      {"mma_decode_one_split_few_keys_d64", 8, 2, 64, 64, {{5, 1}, {60, 1}}, f16},
      {"mma_decode_nine_splits_d128", 32, 8, 128, 128, {{9000, 1}}, f16},
      {"mma_short_prompts_and_decodes_d128", 16, 4, 128, 128, {{0, 9}, {250, 1}, {33, 4}}, f16},
      // The tiled F16 kernel (F16 K and V; at 64 and 128 dims on CUDA the
      // tensor-core kernel takes these): batched decode at GQA 1, 4 and 8
      // on each head-size instance, a partial head group, a window with
      // soft-capping (and a sequence of one key), K heads narrower than V's
      // or not a whole chunk, prefill of 256-dim heads.
      {"f16_decode_batch_d128_gqa4", 32, 8, 128, 128, decodes(24, 300, 17), f16},
      {"f16_decode_batch_d64_gqa1", 8, 8, 64, 64, decodes(16, 200, 29), f16},
      {"f16_decode_batch_d256_gqa8", 16, 2, 256, 256, decodes(12, 400, 23), f16},
      {"f16_decode_gqa6_two_head_groups_d64", 12, 2, 64, 64, {{500, 1}, {45, 1}}, f16},
      {"f16_decode_window_and_softcap_d128", 16, 4, 128, 128, {{900, 1}, {130, 1}, {0, 1}}, f16, 200, 30.0f},
      {"f16_decode_k192_v128", 8, 2, 192, 128, {{300, 1}, {77, 1}}, f16},
      {"f16_decode_k64_v256", 8, 2, 64, 256, {{260, 1}, {31, 1}}, f16},
      {"f16_prefill_d256_gqa2", 8, 4, 256, 256, {{40, 9}}, f16},
      // Q8_0 (llama.cpp's -ctk/-ctv q8_0) on every head-size instance, prefill and split decode.
      {"q8_0_prefill_d64_gqa4", 8, 2, 64, 64, {{0, 37}}, q8},
      {"q8_0_chunk_after_cache_d128", 32, 8, 128, 128, {{100, 20}}, q8},
      {"q8_0_decode_three_seqs_d128_split", 32, 8, 128, 128, {{1500, 1}, {17, 1}, {700, 1}}, q8},
      {"q8_0_decode_long_d64_split", 8, 8, 64, 64, {{3000, 1}}, q8},
      {"q8_0_d256_gqa8_two_head_groups", 16, 2, 256, 256, {{60, 3}}, q8},
      {"q8_0_decode_d256_split", 16, 4, 256, 256, {{900, 1}, {2, 1}}, q8},
      // Heads sharing a block (stories260K's 8 dims; 16) and heads of three blocks.
      {"q8_0_tiny_heads_d8_gqa2", 8, 4, 8, 8, {{0, 12}, {40, 1}}, q8},
      {"q8_0_heads_d16", 4, 2, 16, 16, {{9, 7}, {200, 1}}, q8},
      {"q8_0_k96_v64", 8, 4, 96, 64, {{20, 5}}, q8},
      {"q8_0_window_and_softcap", 8, 2, 64, 64, {{300, 6}}, q8, 64, 30.0f},
      {"q8_0_multi_query", 12, 1, 64, 64, {{90, 2}}, q8},
      // K and V in different types, both ways round.
      {"k_q8_0_v_f16_d128", 16, 4, 128, 128, {{0, 9}, {250, 1}, {33, 4}}, {GgmlType::kQ8_0, GgmlType::kF16}},
      {"k_f16_v_q8_0_d128", 16, 4, 128, 128, {{0, 9}, {250, 1}, {33, 4}}, {GgmlType::kF16, GgmlType::kQ8_0}},
      {"k_f32_v_q8_0_d64", 8, 2, 64, 64, {{700, 1}}, {GgmlType::kF32, GgmlType::kQ8_0}},
      {"k_q8_0_v_f32_d8", 8, 4, 8, 8, {{30, 3}}, {GgmlType::kQ8_0, GgmlType::kF32}},
      // BF16 (llama.cpp's -ctk/-ctv bf16): on tensor cores at 64 and 128 dims
      // (prefill, decode in wide blocks, clusters and the merge kernel, two
      // head tiles, a window with soft-capping), split-K at 256 dims and
      // mixed with F16 and Q8_0.
      {"bf16_mma_prefill_d128_gqa4_long", 32, 8, 128, 128, {{0, 300}}, bf16},
      {"bf16_mma_prefill_d64_gqa4", 8, 2, 64, 64, {{0, 37}}, bf16},
      {"bf16_mma_decode_key_counts_d128_gqa4", 32, 8, 128, 128, key_counts, bf16},
      {"bf16_mma_decode_key_counts_d64_gqa8", 16, 2, 64, 64, key_counts, bf16},
      {"bf16_mma_decode_three_seqs_d128", 32, 8, 128, 128, {{1500, 1}, {17, 1}, {700, 1}}, bf16},
      {"bf16_mma_decode_nine_splits_d128", 32, 8, 128, 128, {{9000, 1}}, bf16},
      {"bf16_mma_decode_gqa16_window_and_softcap_d64", 16, 1, 64, 64, {{400, 1}, {50, 1}}, bf16, 37, 50.0f},
      {"bf16_mma_decode_batch_d128_gqa4", 32, 8, 128, 128, decodes(24, 300, 17), bf16},
      {"bf16_d256_gqa8_two_head_groups", 16, 2, 256, 256, {{60, 3}}, bf16},
      {"k_bf16_v_f16_d128", 16, 4, 128, 128, {{0, 9}, {250, 1}, {33, 4}}, {GgmlType::kBF16, GgmlType::kF16}},
      {"k_f16_v_bf16_d64", 8, 2, 64, 64, {{700, 1}, {20, 5}}, {GgmlType::kF16, GgmlType::kBF16}},
      {"k_q8_0_v_bf16_d8", 8, 4, 8, 8, {{30, 3}}, {GgmlType::kQ8_0, GgmlType::kBF16}},
  };
}

// A block table entry outside the pool is reported by the next wait, from
// the tensor-core decode kernel (default backend) and the split-K one.
TEST(AttentionErrors, BlockOutsideThePoolIsReported) {
  std::mt19937 rng(7);
  constexpr int64_t kBlock = 16;
  PagedBatch b = make_paged_batch({{40, 1}, {300, 1}}, kBlock, rng);
  b.tables[static_cast<size_t>(b.max_blocks) + 5] = static_cast<int32_t>(b.n_blocks);  // keys 80..95 of the second
  const backend::KvLayout layout{1, 8, 128, 128, kBlock, b.n_blocks, {GgmlType::kF16, GgmlType::kF16}};
  const backend::AttentionParams p{32, 8, 128, 128, 0.125f, 0.0f, 0};
  for (const bool invariant : {false, true}) {
    auto gpu = make_gpu_backend(invariant);
    ASSERT_NE(gpu, nullptr);
    OpHarness h(*gpu);
    const backend::KvLayerView kv{h.bytes(static_cast<size_t>(layout.slots()) * layout.k_row_bytes()),
                                  h.bytes(static_cast<size_t>(layout.slots()) * layout.v_row_bytes())};
    const Tensor q = h.f32(random_floats(rng, 2 * 32 * 128), 2, 32 * 128);
    gpu->attention(q, kv, layout, query_batch(h, b), p, h.poisoned(2, 32 * 128));
    const Status s = gpu->synchronize();
    ASSERT_FALSE(s) << (invariant ? "batch-invariant" : "default");
    EXPECT_NE(s.error().message().find("block table entry"), std::string::npos) << s.error().to_string();
  }
}

// A prompt's attention on tensor cores followed by a matmul over its output
// writes that matmul's F16 input itself, rounded as the matmul's own
// conversion rounds it (the product's bits are those of the attention
// launched before the matmul comes); when only that matmul reads it
// (Backend::read_only_by), not its F32 output too.
TEST(AttentionOutput, OnlyTheMatmulsInputWhenOnlyItReads) {
  std::mt19937 rng(11);
  constexpr int64_t kBlock = 16;
  constexpr int64_t kHead = 32;
  constexpr int64_t kDim = 128;
  constexpr int64_t kOut = 64;
  const PagedBatch b = make_paged_batch({{0, 96}, {32, 48}}, kBlock, rng);
  const backend::KvLayout layout{1, 8, kDim, kDim, kBlock, b.n_blocks, {GgmlType::kF16, GgmlType::kF16}};
  const backend::AttentionParams p{kHead, 8, kDim, kDim, 0.125f, 0.0f, 0};
  const auto n_all = static_cast<int64_t>(b.all_slots.size());
  const auto n = static_cast<int64_t>(b.positions.size());
  const auto keys = random_floats(rng, static_cast<size_t>(n_all * 8 * kDim));
  const auto values = random_floats(rng, static_cast<size_t>(n_all * 8 * kDim));
  const auto queries = random_floats(rng, static_cast<size_t>(n * kHead * kDim), -2.0f, 2.0f);
  const auto w = random_floats(rng, static_cast<size_t>(kOut * kHead * kDim));
  enum Variant { kApart, kTogether, kHinted };
  std::vector<float> attn[3];
  std::vector<float> product[3];
  for (int v : {kApart, kTogether, kHinted}) {
    auto gpu = make_gpu_backend();
    ASSERT_NE(gpu, nullptr);
    OpHarness h(*gpu);
    const backend::KvLayerView kv{h.bytes(static_cast<size_t>(layout.slots()) * layout.k_row_bytes()),
                                  h.bytes(static_cast<size_t>(layout.slots()) * layout.v_row_bytes())};
    backend::BatchView fill;
    fill.slots = h.ints(b.all_slots);
    fill.n_tokens = static_cast<int32_t>(n_all);
    gpu->store_kv(kv, layout, h.f32(keys, n_all, 8 * kDim), h.f32(values, n_all, 8 * kDim), fill);
    const Tensor wo = h.weight(GgmlType::kF16, w, kOut, kHead * kDim);
    const Tensor out = h.poisoned(n, kHead * kDim);
    const Tensor y = h.poisoned(n, kOut);
    gpu->attention(h.f32(queries, n, kHead * kDim), kv, layout, query_batch(h, b), p, out);
    if (v == kApart) gpu->scale(h.poisoned(1, 4), 1.0f);  // another op: the attention goes out alone
    if (v == kHinted) gpu->read_only_by(out, std::span<const Tensor>(&wo, 1));
    gpu->matmul(wo, out, y);
    ASSERT_TRUE(gpu->synchronize());
    attn[v] = h.read(out);
    product[v] = h.read(y);
  }
  expect_same_bits(product[kTogether], product[kApart], "the product over the attention's own F16 copy");
  expect_same_bits(product[kHinted], product[kApart], "the product with the hint");
  EXPECT_TRUE(all_nan(attn[kHinted])) << "the hinted attention wrote F32";
  for (int v : {kApart, kTogether}) {
    EXPECT_TRUE(std::none_of(attn[v].begin(), attn[v].end(), [](float x) { return std::isnan(x); }))
        << "variant " << v << " left F32 unwritten";
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Attention, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<AttnCase>& p) { return p.param.name; });

}  // namespace
}  // namespace rocmforge::testing
