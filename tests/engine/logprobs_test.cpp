#include "engine/logprobs.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace rocmforge::engine {
namespace {

TEST(LogSoftmax, MatchesTheDefinition) {
  const std::vector<float> logits = {1.0f, 2.0f, 3.0f};
  const LogSoftmax log_softmax(logits);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  for (int32_t i = 0; i < 3; ++i) EXPECT_NEAR(log_softmax.logprob(i), (i + 1) - std::log(z), 1e-6);
}

TEST(LogSoftmax, ProbabilitiesSumToOneOverALargeVocabulary) {
  std::mt19937_64 rng(5);
  std::vector<float> logits(50000);
  for (float& l : logits) l = static_cast<float>(static_cast<double>(rng() % 4000) / 100.0 - 20.0);
  const LogSoftmax log_softmax(logits);
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) sum += std::exp(static_cast<double>(log_softmax.logprob(static_cast<int32_t>(i))));
  EXPECT_NEAR(sum, 1.0, 1e-4);
  double top_sum = 0.0;
  for (const TokenLogprob& t : log_softmax.top(static_cast<int>(logits.size()))) top_sum += std::exp(static_cast<double>(t.logprob));
  EXPECT_NEAR(top_sum, 1.0, 1e-4);
}

TEST(LogSoftmax, StaysFiniteForHugeLogits) {
  const std::vector<float> logits = {1000.0f, 1000.0f, -1000.0f};
  const LogSoftmax log_softmax(logits);
  EXPECT_NEAR(log_softmax.logprob(0), -std::log(2.0), 1e-6);
  EXPECT_NEAR(log_softmax.logprob(1), -std::log(2.0), 1e-6);
  EXPECT_TRUE(std::isfinite(log_softmax.logprob(2)));
}

TEST(LogSoftmax, TopIsOrderedByLogprobThenId) {
  const std::vector<float> logits = {0.0f, 2.0f, 1.0f, 2.0f, -3.0f, 1.0f};
  const std::vector<TokenLogprob> top = top_logprobs(logits, 4);
  ASSERT_EQ(top.size(), 4u);
  const std::vector<int32_t> want = {1, 3, 2, 5};
  const LogSoftmax log_softmax(logits);
  for (size_t i = 0; i < top.size(); ++i) {
    EXPECT_EQ(top[i].token, want[i]);
    EXPECT_EQ(top[i].logprob, log_softmax.logprob(top[i].token));
    EXPECT_LT(top[i].logprob, 0.0f);
  }
}

TEST(LogSoftmax, TopClampsK) {
  const std::vector<float> logits = {0.0f, 1.0f};
  EXPECT_EQ(top_logprobs(logits, 10).size(), 2u);
  EXPECT_TRUE(top_logprobs(logits, 0).empty());
  EXPECT_TRUE(top_logprobs(logits, -3).empty());
}

}  // namespace
}  // namespace rocmforge::engine
