// The engine on a real model (stories260K): batching must not change what a
// request generates, the prefix cache must not either, and the output must
// be `rocmforge run --temp 0`'s.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>

#include "backend/cpu/cpu_backend.h"
#include "engine/engine.h"
#include "engine_fixture.h"
#include "model/model.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::engine::testing {
namespace {

constexpr int64_t kMaxTokens = 24;

class EngineModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    backend_ = std::make_unique<backend::CpuBackend>(2, /*batch_invariant=*/true);
    auto model = model::Model::load(rocmforge::testing::source_path("models/stories260K.gguf"), *backend_);
    ASSERT_TRUE(model) << model.error().to_string();
    model_ = std::move(*model);
    auto tok = tokenizer::Tokenizer::from_gguf(model_->file());
    ASSERT_TRUE(tok) << tok.error().to_string();
    tokenizer_ = std::move(*tok);
  }

  std::unique_ptr<Engine> make_engine(int64_t n_kv_blocks, int64_t max_batch_tokens = 512, int64_t n_candidates = 64) {
    EngineOptions o;
    o.n_candidates = n_candidates;
    o.max_seqs = 32;
    o.max_batch_tokens = max_batch_tokens;
    o.n_ctx = 256;
    o.n_kv_blocks = n_kv_blocks;
    auto engine = Engine::create(*model_, *tokenizer_, *backend_, o);
    EXPECT_TRUE(engine) << engine.error().to_string();
    return engine ? std::move(*engine) : nullptr;
  }

  std::vector<int32_t> encode(const std::string& text) { return *tokenizer_->encode(text, true, true); }

  std::vector<std::string> prompts() const {
    const char* subjects[] = {"Once upon a time", "The little dog", "Lily and Tom", "A big red ball",
                              "The sun was", "One day, a bird", "Mom said", "The old tree"};
    const char* tails[] = {"", " went to the park", " was very happy", " saw a cat"};
    std::vector<std::string> out;
    for (const char* s : subjects) {
      for (const char* t : tails) out.push_back(std::string(s) + t);
    }
    return out;
  }

  std::unique_ptr<backend::CpuBackend> backend_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
};

std::vector<float> logprobs_of(const Collected& c) {
  std::vector<float> out;
  for (const Event& e : c.events) {
    if (e.token && e.token->logprob) out.push_back(*e.token->logprob);
  }
  return out;
}

TEST_F(EngineModelTest, ThirtyTwoConcurrentRequestsGenerateWhatEachGeneratesAlone) {
  const std::vector<std::string> texts = prompts();
  ASSERT_EQ(texts.size(), 32u);
  auto request = [&](const std::string& text) {
    Request r = greedy_request(encode(text), kMaxTokens);
    r.logprobs = true;
    return r;
  };
  std::vector<Collected> alone;
  const auto alone_start = std::chrono::steady_clock::now();
  {
    auto engine = make_engine(128);
    for (const std::string& t : texts) alone.push_back(collect(**engine->submit(request(t))));
  }
  const double alone_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - alone_start).count();

  auto engine = make_engine(128);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (const std::string& t : texts) handles.push_back(*engine->submit(request(t)));
  int64_t n_logprobs = 0;
  int64_t n_different = 0;
  for (size_t i = 0; i < handles.size(); ++i) {
    const Collected c = collect(*handles[i]);
    EXPECT_EQ(c.tokens, alone[i].tokens) << "prompt '" << texts[i] << "'";
    EXPECT_EQ(c.tokens.size(), static_cast<size_t>(kMaxTokens));
    const std::vector<float> a = logprobs_of(alone[i]);
    const std::vector<float> b = logprobs_of(c);
    for (size_t k = 0; k < std::min(a.size(), b.size()); ++k) {
      ++n_logprobs;
      n_different += a[k] != b[k] ? 1 : 0;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  engine->shutdown(std::chrono::steady_clock::now());  // the stats of the last step are published
  const EngineStats s = engine->stats();
  std::printf("32 requests one after another: %.3f s, %.0f tokens/s\n", alone_seconds,
              static_cast<double>(32 * kMaxTokens) / alone_seconds);
  std::printf("32 concurrent requests: %lld steps, %lld tokens generated in %.3f s: %.0f steps/s, %.0f tokens/s\n",
              static_cast<long long>(s.steps), static_cast<long long>(s.generated_tokens), seconds,
              static_cast<double>(s.steps) / seconds, static_cast<double>(s.generated_tokens) / seconds);
  // With a batch-invariant backend every row is computed independently of the
  // batch around it, so not only the tokens but every logit bit agrees.
  EXPECT_EQ(n_different, 0) << "of " << n_logprobs << " logprobs";
  EXPECT_EQ(n_logprobs, 32 * kMaxTokens);
}

TEST_F(EngineModelTest, PreemptionAndSmallChunksDoNotChangeOutputs) {
  const std::vector<std::string> texts = prompts();
  std::vector<std::vector<int32_t>> alone;
  {
    auto engine = make_engine(128);
    for (size_t i = 0; i < 8; ++i) alone.push_back(collect(**engine->submit(greedy_request(encode(texts[i * 4 + 1]), kMaxTokens))).tokens);
  }
  auto engine = make_engine(12, 7);  // 192 positions for 8 requests of ~33: preemption, 7-token chunks
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (size_t i = 0; i < 8; ++i) handles.push_back(*engine->submit(greedy_request(encode(texts[i * 4 + 1]), kMaxTokens)));
  for (size_t i = 0; i < 8; ++i) EXPECT_EQ(collect(*handles[i]).tokens, alone[i]) << "request " << i;
  EXPECT_GT(engine->stats().preemptions, 0);
}

TEST_F(EngineModelTest, ARepeatedPromptHitsThePrefixCacheWithTheSameOutput) {
  auto engine = make_engine(128);
  const std::vector<int32_t> prompt =
      encode("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her dog.");
  ASSERT_GT(prompt.size(), 32u);
  const Collected first = collect(**engine->submit(greedy_request(prompt, kMaxTokens)));
  const Collected second = collect(**engine->submit(greedy_request(prompt, kMaxTokens)));
  EXPECT_EQ(second.tokens, first.tokens);
  EXPECT_EQ(second.finish->usage.cached_prompt_tokens, static_cast<int64_t>(prompt.size()) - 1);
  const EngineStats s = engine->stats();
  EXPECT_EQ(s.prefix_cache_hit_tokens, static_cast<int64_t>(prompt.size()) - 1);
  EXPECT_GT(s.prefix_cache_hit_rate(), 0.4);
}

// Greedy requests run on the backend's argmax (one id per sequence comes
// back); asking for logprobs brings the rows of logits to the host sampler.
// Eight of each at once, and top-k 1 at temperature 0.8 (also the argmax):
// the same tokens.
TEST_F(EngineModelTest, GreedyTokensAreTheSameFromTheBackendArgmaxAndFromTheLogits) {
  const std::vector<std::string> texts = prompts();
  auto run_all = [&](const std::function<void(Request&)>& edit) {
    auto engine = make_engine(128);
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (size_t i = 0; i < 8; ++i) {
      Request r = greedy_request(encode(texts[i * 4 + 2]), kMaxTokens);
      r.ignore_eos = true;
      edit(r);
      handles.push_back(*engine->submit(std::move(r)));
    }
    std::vector<std::vector<int32_t>> tokens;
    for (const auto& h : handles) tokens.push_back(collect(*h).tokens);
    return tokens;
  };
  const auto argmax = run_all([](Request&) {});
  const auto rows = run_all([](Request& r) { r.logprobs = true; });
  const auto top1 = run_all([](Request& r) {
    r.sampling.temperature = 0.8f;
    r.sampling.top_k = 1;
  });
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(argmax[i].size(), static_cast<size_t>(kMaxTokens));
    EXPECT_EQ(argmax[i], rows[i]) << "prompt '" << texts[i * 4 + 2] << "'";
    EXPECT_EQ(top1[i], rows[i]) << "prompt '" << texts[i * 4 + 2] << "'";
  }
}

// Seeded sampling with each filter alone, together, with penalties and at
// several temperatures: eight requests at once draw the same tokens from the
// backend's candidates (reading a row whole where they do not settle the
// draw) as from whole rows of logits.
TEST_F(EngineModelTest, SampledTokensAreTheSameFromTheBackendCandidatesAndFromTheLogits) {
  const std::vector<std::string> texts = prompts();
  auto run_all = [&](int64_t n_candidates, EngineStats* stats) {
    auto engine = make_engine(128, 512, n_candidates);
    std::vector<std::shared_ptr<RequestHandle>> handles;
    for (size_t i = 0; i < 8; ++i) {
      Request r = greedy_request(encode(texts[i * 4 + 3]), kMaxTokens);
      r.ignore_eos = true;
      r.sampling.seed = 100 + i;
      r.sampling.temperature = 0.5f + 0.25f * static_cast<float>(i % 4);
      const size_t kind = i % 4;
      r.sampling.top_k = kind == 0 ? 40 : 0;
      r.sampling.top_p = kind == 1 || kind == 3 ? 0.9f : 1.0f;
      r.sampling.min_p = kind == 2 || kind == 3 ? 0.05f : 0.0f;
      if (i >= 4) {
        r.sampling.repeat_penalty = 1.1f;
        r.sampling.presence_penalty = 0.5f;
      }
      handles.push_back(*engine->submit(std::move(r)));
    }
    std::vector<std::vector<int32_t>> tokens;
    for (const auto& h : handles) tokens.push_back(collect(*h).tokens);
    engine->shutdown(std::chrono::steady_clock::now());  // the stats of the last step are published
    *stats = engine->stats();
    return tokens;
  };
  EngineStats from_rows;
  EngineStats from_top;
  const auto rows = run_all(0, &from_rows);
  const auto top = run_all(64, &from_top);
  for (size_t i = 0; i < 8; ++i) {
    EXPECT_EQ(rows[i].size(), static_cast<size_t>(kMaxTokens));
    EXPECT_EQ(top[i], rows[i]) << "request " << i;
  }
  EXPECT_EQ(from_rows.tokens_from_candidates, 0);
  EXPECT_EQ(from_top.tokens_from_candidates + from_top.rows_read_whole, 8 * kMaxTokens);
  EXPECT_GT(from_top.tokens_from_candidates, 4 * kMaxTokens);
  std::printf("%lld of %d tokens drawn from 64 candidates, %lld rows read whole\n",
              static_cast<long long>(from_top.tokens_from_candidates), static_cast<int>(8 * kMaxTokens),
              static_cast<long long>(from_top.rows_read_whole));
}

TEST_F(EngineModelTest, OutputEqualsRocmforgeRunAtTemperatureZero) {
  const std::string prompt = "Lily and Tom went to the park";
  const rocmforge::testing::RunResult run = rocmforge::testing::run_command(
      {rocmforge::testing::cli_path(), "run", "-m", rocmforge::testing::source_path("models/stories260K.gguf"), "-p",
       prompt, "-n", std::to_string(kMaxTokens), "--temp", "0", "--json", "-t", "2", "--ignore-eos"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const nlohmann::json expected = nlohmann::json::parse(run.out);
  auto engine = make_engine(128);
  Request r = greedy_request(encode(prompt), kMaxTokens);
  r.ignore_eos = true;
  const Collected c = collect(**engine->submit(r));
  EXPECT_EQ(c.tokens, expected["tokens"].get<std::vector<int32_t>>());
  EXPECT_EQ(c.text, expected["text"].get<std::string>());
}

}  // namespace
}  // namespace rocmforge::engine::testing
