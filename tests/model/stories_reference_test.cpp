// stories260K against llama.cpp: the same prompt ids, the same 64 greedy
// tokens on every reference prompt, and the same logits.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "greedy_runner.h"
#include "testing/test_paths.h"

namespace rocmforge::testing {
namespace {

const std::string kModel = source_path("models/stories260K.gguf");

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// refs/stories260K-greedy.llamacpp.json was made with llama.cpp's default F16 KV cache.
TEST(StoriesReference, GreedyTokensAndTopLogitsMatchLlamaCppWithF16Cache) {
  auto runner = GreedyRunner::open(kModel, {gguf::GgmlType::kF16, gguf::GgmlType::kF16});
  ASSERT_TRUE(runner) << runner.error().to_string();
  const nlohmann::json ref = read_json(data_path("refs/stories260K-greedy.llamacpp.json"));
  ASSERT_GE(ref["results"].size(), 3u);
  for (const auto& r : ref["results"]) {
    SCOPED_TRACE(r["prompt"].get<std::string>());
    const auto prompt = (*runner)->encode(r["prompt"]);
    ASSERT_TRUE(prompt);
    EXPECT_EQ(*prompt, r["prompt_ids"].get<std::vector<int32_t>>());
    const auto steps = (*runner)->generate(*prompt, 64);
    ASSERT_TRUE(steps) << steps.error().to_string();
    std::vector<int32_t> ids;
    for (const GreedyStep& s : *steps) ids.push_back(s.token);
    EXPECT_EQ(ids, r["generated_ids"].get<std::vector<int32_t>>());
    // Text as llama.cpp detokenized it: the prompt without BOS plus the continuation.
    std::vector<int32_t> all(prompt->begin() + 1, prompt->end());
    all.insert(all.end(), ids.begin(), ids.end());
    EXPECT_EQ((*runner)->tokenizer().decode(all, false, false), r["full_text"].get<std::string>());
    // The first step's top-10 logits and log-probabilities.
    const auto& first = steps->front().logits;
    for (const auto& e : r["next_token_top10"]) {
      const int32_t id = e["id"];
      EXPECT_NEAR(first[static_cast<size_t>(id)], e["logit"].get<double>(), 1e-3) << "token " << id;
      EXPECT_NEAR(logprob(first, id), e["logprob"].get<double>(), 1e-3) << "token " << id;
    }
  }
}

// llama.cpp's -ctk bf16 -ctv bf16 against its F16-cache reference: BF16 keeps
// 8 bits of mantissa where F16 keeps 11, so logits move a little. Measured:
// the same 64 greedy tokens on every prompt and the first step's top-10
// logits within 0.037 of the reference; the bound is 0.1.
TEST(StoriesReference, Bf16CacheGivesLlamaCppsGreedyTokens) {
  auto runner = GreedyRunner::open(kModel, {gguf::GgmlType::kBF16, gguf::GgmlType::kBF16});
  ASSERT_TRUE(runner) << runner.error().to_string();
  const nlohmann::json ref = read_json(data_path("refs/stories260K-greedy.llamacpp.json"));
  ASSERT_GE(ref["results"].size(), 3u);
  double worst = 0.0;
  for (const auto& r : ref["results"]) {
    SCOPED_TRACE(r["prompt"].get<std::string>());
    const auto prompt = (*runner)->encode(r["prompt"]);
    ASSERT_TRUE(prompt);
    const auto steps = (*runner)->generate(*prompt, 64);
    ASSERT_TRUE(steps) << steps.error().to_string();
    std::vector<int32_t> ids;
    for (const GreedyStep& s : *steps) ids.push_back(s.token);
    EXPECT_EQ(ids, r["generated_ids"].get<std::vector<int32_t>>());
    for (const auto& e : r["next_token_top10"]) {
      const double got = steps->front().logits[static_cast<size_t>(e["id"].get<int32_t>())];
      worst = std::max(worst, std::fabs(got - e["logit"].get<double>()));
    }
  }
  std::printf("bf16 cache: worst first-step top-10 logit gap %.4f\n", worst);
  EXPECT_LE(worst, 0.1);
}

// llama.cpp's -ctk q8_0 -ctv q8_0 (stories260K's 8-dim heads share Q8_0
// blocks four at a time: backend/kv_layout.h) against the F16 cache.
// Measured with the F16 cache's tokens fed to both: logits within 0.90 of
// the F16 cache's, and one greedy token of 192 flipped, at a near tie.
// Generating freely, the two caches give the same 64 tokens on two prompts
// and part after 21 tokens on "The little dog". The bounds: 1.5 for logits,
// at most 3 flipped tokens, the first 20 free-running tokens identical on
// every prompt and all 64 on two of the three.
TEST(StoriesReference, Q8_0CacheStaysNearTheF16Cache) {
  using gguf::GgmlType;
  constexpr double kLogitBound = 1.5;
  auto f16 = GreedyRunner::open(kModel, {GgmlType::kF16, GgmlType::kF16});
  auto q8 = GreedyRunner::open(kModel, {GgmlType::kQ8_0, GgmlType::kQ8_0});
  ASSERT_TRUE(f16 && q8);
  const nlohmann::json ref = read_json(data_path("refs/stories260K-greedy.llamacpp.json"));
  int whole_runs = 0;
  int flips = 0;
  for (const auto& r : ref["results"]) {
    SCOPED_TRACE(r["prompt"].get<std::string>());
    const auto prompt = (*f16)->encode(r["prompt"]);
    ASSERT_TRUE(prompt);
    const auto free_f16 = (*f16)->generate(*prompt, 64);
    const auto free_q8 = (*q8)->generate(*prompt, 64);
    ASSERT_TRUE(free_f16 && free_q8);
    size_t same = 0;
    while (same < free_f16->size() && (*free_f16)[same].token == (*free_q8)[same].token) ++same;
    EXPECT_GE(same, 20u);
    whole_runs += same == free_f16->size() ? 1 : 0;

    std::vector<int32_t> fed = *prompt;
    for (const GreedyStep& step : *free_f16) {
      const auto want = (*f16)->generate(fed, 1);
      const auto got = (*q8)->generate(fed, 1);
      ASSERT_TRUE(want && got);
      const std::vector<float>& a = want->front().logits;
      const std::vector<float>& b = got->front().logits;
      double worst = 0.0;
      for (size_t j = 0; j < a.size(); ++j) worst = std::max(worst, static_cast<double>(std::fabs(a[j] - b[j])));
      EXPECT_LE(worst, kLogitBound) << "after " << fed.size() << " tokens";
      flips += argmax(b) != step.token ? 1 : 0;
      fed.push_back(step.token);
    }
  }
  EXPECT_GE(whole_runs, 2);
  EXPECT_LE(flips, 3);
}

struct StepRef {
  int32_t input;
  std::vector<std::pair<int32_t, double>> top;
  double sum;
  double sq;
};

// refs/stories260K-once-upon-a-time.llamacpp.txt: llama.cpp's top-5 logits, logit
// sum and sum of squares at every step. Its notes say F32 KV cache, but its numbers
// are those of llama.cpp's F16 cache (our F16 path reproduces step 1's logit gaps to
// 1e-5, our F32 path does not), so we compare with our F16 cache.
std::vector<StepRef> read_steps(const std::string& path, std::vector<int32_t>& greedy) {
  std::ifstream in(path);
  std::vector<StepRef> steps;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string word;
    ls >> word;
    if (word == "greedy") {
      int32_t id = 0;
      while (ls >> id) greedy.push_back(id);
      continue;
    }
    if (word != "step") continue;
    StepRef s;
    int n = 0;
    ls >> n >> word >> s.input >> word;
    for (int i = 0; i < 5; ++i) {
      ls >> word;
      const size_t colon = word.find(':');
      s.top.emplace_back(std::stoi(word.substr(0, colon)), std::stod(word.substr(colon + 1)));
    }
    ls >> word >> s.sum >> word >> s.sq;
    steps.push_back(s);
  }
  return steps;
}

TEST(StoriesReference, EveryStepLogitsMatchLlamaCpp) {
  // Greedy ids do not depend on the cache type: check them with the F32 cache.
  auto runner = GreedyRunner::open(kModel, {gguf::GgmlType::kF32, gguf::GgmlType::kF32});
  ASSERT_TRUE(runner) << runner.error().to_string();
  std::vector<int32_t> greedy;
  const std::vector<StepRef> ref = read_steps(data_path("refs/stories260K-once-upon-a-time.llamacpp.txt"), greedy);
  ASSERT_GE(ref.size(), 30u);
  ASSERT_EQ(greedy.size(), 32u);

  // Step i's logits come after feeding ref[i].input; the prompt is steps 0..4.
  const std::vector<int32_t> prompt = {1, 403, 407, 261, 378};
  auto steps = (*runner)->generate(prompt, static_cast<int>(greedy.size()));
  ASSERT_TRUE(steps) << steps.error().to_string();
  for (size_t i = 0; i < greedy.size(); ++i) EXPECT_EQ((*steps)[i].token, greedy[i]) << "step " << i;

  // Per-position logits for the prompt come from a prompt processed one token at a time.
  auto single = GreedyRunner::open(kModel, {gguf::GgmlType::kF16, gguf::GgmlType::kF16});
  ASSERT_TRUE(single);
  std::vector<int32_t> fed;
  double worst = 0.0;
  for (const StepRef& s : ref) {
    SCOPED_TRACE("step input " + std::to_string(s.input) + " at " + std::to_string(fed.size()));
    fed.push_back(s.input);
    auto out = (*single)->generate(fed, 1);
    ASSERT_TRUE(out);
    const auto& logits = out->front().logits;
    const auto ids = top_ids(logits, 5);
    double sum = 0.0;
    double sq = 0.0;
    for (float x : logits) {
      sum += x;
      sq += static_cast<double>(x) * x;
    }
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(ids[k], s.top[k].first);
      const double diff = std::abs(logits[static_cast<size_t>(s.top[k].first)] - s.top[k].second);
      worst = std::max(worst, diff);
      // A last-bit difference upstream can round a cached K/V value to the
      // neighbouring F16 and the gap grows with the number of cached positions:
      // 1e-3 holds over the first steps, 2.5e-3 by step 35.
      EXPECT_LT(diff, s.input == 1 || fed.size() <= 16 ? 1e-3 : 3e-3);
    }
    EXPECT_NEAR(sum, s.sum, 1e-3 * std::abs(s.sum));
    EXPECT_NEAR(sq, s.sq, 1e-3 * s.sq);
  }
  std::printf("largest top-5 logit difference from llama.cpp over %zu steps: %.2e\n", ref.size(), worst);
}

// refs/stories260K.llamacpp.jsonl: tools/refs/make_refs.mjs with llama.cpp's
// AVX-512 CPU library, top-10 log-probabilities at each of 64 steps. Our CPU
// kernels reproduce that library's arithmetic, so every step agrees to the
// precision the reference was printed with.
TEST(StoriesReference, EveryStepOfEveryPromptMatchesLlamaCpp) {
  auto runner = GreedyRunner::open(kModel, {gguf::GgmlType::kF16, gguf::GgmlType::kF16}, 1);
  ASSERT_TRUE(runner) << runner.error().to_string();
  std::ifstream in(data_path("refs/stories260K.llamacpp.jsonl"));
  std::string line;
  int prompts = 0;
  while (std::getline(in, line)) {
    const nlohmann::json r = nlohmann::json::parse(line);
    SCOPED_TRACE(r["prompt"].get<std::string>());
    ++prompts;
    const auto prompt = (*runner)->encode(r["prompt"]);
    ASSERT_TRUE(prompt);
    ASSERT_EQ(*prompt, r["prompt_ids"].get<std::vector<int32_t>>());
    const auto greedy = r["greedy_ids"].get<std::vector<int32_t>>();
    const auto steps = (*runner)->generate(*prompt, static_cast<int>(greedy.size()));
    ASSERT_TRUE(steps);
    for (size_t i = 0; i < steps->size(); ++i) {
      EXPECT_EQ((*steps)[i].token, greedy[i]) << "step " << i;
      for (const auto& e : r["top"][i]) {
        EXPECT_NEAR(logprob((*steps)[i].logits, e["id"]), e["logprob"].get<double>(), 1e-5) << "step " << i;
      }
    }
  }
  EXPECT_EQ(prompts, 3);
}

}  // namespace
}  // namespace rocmforge::testing
