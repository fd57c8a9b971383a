// Sampling by candidates on the GPU: seeded requests with each filter alone,
// together, with penalties and at several temperatures draw the same tokens
// from the device's candidates (reading back whole only the rows they do not
// settle) as from whole rows of logits. The device's sums could change a
// top-p cut only if they were off by more than the sampler's tolerance
// (TopRowRanking::kSumTolerance), far above their rounding.
#include <gtest/gtest.h>

#include <cstdio>

#include "engine/engine.h"
#include "engine_fixture.h"
#include "model/model.h"
#include "op_harness.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::testing {
namespace {

constexpr int64_t kMaxTokens = 32;
constexpr int kRequests = 16;

TEST(GpuSampling, TokensAreTheSameFromTheDeviceCandidatesAndFromTheLogits) {
  // Batch-invariant: a request's logits do not depend on the steps it shares, so both runs see the same rows.
  auto gpu = make_gpu_backend(true);
  ASSERT_NE(gpu, nullptr);
  auto model = model::Model::load(source_path("models/stories260K.gguf"), *gpu);
  ASSERT_TRUE(model) << model.error().to_string();
  auto tok = tokenizer::Tokenizer::from_gguf((*model)->file());
  ASSERT_TRUE(tok) << tok.error().to_string();
  const std::vector<int32_t> prompt = *(*tok)->encode("Once upon a time, Lily", true, true);

  auto run_all = [&](int64_t n_candidates, engine::EngineStats* stats) {
    engine::EngineOptions o;
    o.max_seqs = kRequests;
    o.n_ctx = 256;
    o.n_kv_blocks = 512;
    o.n_candidates = n_candidates;
    auto engine = engine::Engine::create(**model, **tok, *gpu, o);
    EXPECT_TRUE(engine) << engine.error().to_string();
    std::vector<std::shared_ptr<engine::RequestHandle>> handles;
    for (int i = 0; i < kRequests; ++i) {
      engine::Request r = engine::testing::greedy_request(prompt, kMaxTokens);
      r.ignore_eos = true;
      r.sampling.seed = static_cast<uint64_t>(1000 + i);
      r.sampling.temperature = 0.6f + 0.2f * static_cast<float>(i % 4);
      const int kind = i % 4;
      r.sampling.top_k = kind == 0 ? 40 : 0;
      r.sampling.top_p = kind == 1 || kind == 3 ? 0.9f : 1.0f;
      r.sampling.min_p = kind == 2 || kind == 3 ? 0.05f : 0.0f;
      if (i >= kRequests / 2) {
        r.sampling.repeat_penalty = 1.1f;
        r.sampling.frequency_penalty = 0.2f;
      }
      handles.push_back(*(*engine)->submit(std::move(r)));
    }
    std::vector<std::vector<int32_t>> tokens;
    for (const auto& h : handles) tokens.push_back(engine::testing::collect(*h).tokens);
    (*engine)->shutdown(std::chrono::steady_clock::now());  // the stats of the last step are published
    *stats = (*engine)->stats();
    return tokens;
  };
  engine::EngineStats from_rows;
  engine::EngineStats from_top;
  const auto rows = run_all(0, &from_rows);
  const auto top = run_all(64, &from_top);
  for (int i = 0; i < kRequests; ++i) {
    EXPECT_EQ(rows[static_cast<size_t>(i)].size(), static_cast<size_t>(kMaxTokens));
    EXPECT_EQ(top[static_cast<size_t>(i)], rows[static_cast<size_t>(i)]) << "request " << i;
  }
  EXPECT_EQ(from_top.tokens_from_candidates + from_top.rows_read_whole, kRequests * kMaxTokens);
  EXPECT_GT(from_top.tokens_from_candidates, kRequests * kMaxTokens / 2);
  std::printf("%lld of %lld tokens drawn from 64 candidates, %lld rows read whole\n",
              static_cast<long long>(from_top.tokens_from_candidates),
              static_cast<long long>(kRequests * kMaxTokens), static_cast<long long>(from_top.rows_read_whole));
}

}  // namespace
}  // namespace rocmforge::testing
