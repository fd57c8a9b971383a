#include "engine/sampling_params.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace rocmforge::engine {
namespace {

TEST(SamplingParams, DefaultsAreLlamaCpps) {
  const SamplingParams p;
  EXPECT_FLOAT_EQ(p.temperature, 0.8f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(p.top_p, 0.95f);
  EXPECT_FLOAT_EQ(p.min_p, 0.05f);
  EXPECT_FLOAT_EQ(p.repeat_penalty, 1.0f);
  EXPECT_EQ(p.repeat_last_n, 64);
  EXPECT_EQ(p.presence_penalty, 0.0f);
  EXPECT_EQ(p.frequency_penalty, 0.0f);
  EXPECT_EQ(p.seed, 0xFFFFFFFFu);
  EXPECT_EQ(p.min_keep, 0);
  EXPECT_EQ(p.n_probs, 0);
  EXPECT_TRUE(p.validate().has_value());
}

TEST(SamplingParams, AcceptsGreedyAndBoundaryValues) {
  SamplingParams p;
  p.temperature = -1.0f;  // greedy, as in llama.cpp
  p.top_k = -5;           // off
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  p.repeat_last_n = -1;
  p.presence_penalty = -0.5f;  // negative penalties favour repeats; llama.cpp allows them
  EXPECT_TRUE(p.validate().has_value());
  p.top_p = 0.0f;
  p.min_p = 1.0f;
  p.repeat_last_n = 0;
  EXPECT_TRUE(p.validate().has_value());
}

TEST(SamplingParams, RejectsNonsenseNamingTheField) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  struct Case {
    std::string field;
    std::function<void(SamplingParams&)> spoil;
  };
  const std::vector<Case> cases = {
      {"temperature", [&](SamplingParams& p) { p.temperature = nan; }},
      {"temperature", [&](SamplingParams& p) { p.temperature = inf; }},
      {"top_p", [](SamplingParams& p) { p.top_p = -0.1f; }},
      {"top_p", [](SamplingParams& p) { p.top_p = 1.5f; }},
      {"top_p", [&](SamplingParams& p) { p.top_p = nan; }},
      {"min_p", [](SamplingParams& p) { p.min_p = -0.01f; }},
      {"min_p", [](SamplingParams& p) { p.min_p = 1.01f; }},
      {"min_p", [&](SamplingParams& p) { p.min_p = nan; }},
      {"repeat_penalty", [](SamplingParams& p) { p.repeat_penalty = 0.0f; }},
      {"repeat_penalty", [](SamplingParams& p) { p.repeat_penalty = -1.0f; }},
      {"repeat_penalty", [&](SamplingParams& p) { p.repeat_penalty = nan; }},
      {"presence_penalty", [&](SamplingParams& p) { p.presence_penalty = nan; }},
      {"frequency_penalty", [&](SamplingParams& p) { p.frequency_penalty = -inf; }},
      {"repeat_last_n", [](SamplingParams& p) { p.repeat_last_n = -2; }},
      {"min_keep", [](SamplingParams& p) { p.min_keep = -1; }},
      {"n_probs", [](SamplingParams& p) { p.n_probs = -1; }},
  };
  for (const Case& c : cases) {
    SamplingParams p;
    c.spoil(p);
    const Status status = p.validate();
    ASSERT_FALSE(status.has_value()) << c.field;
    EXPECT_EQ(status.error().code(), ErrorCode::kInvalidArgument) << c.field;
    EXPECT_NE(status.error().message().find(c.field), std::string::npos) << status.error().message();
  }
}

}  // namespace
}  // namespace rocmforge::engine
