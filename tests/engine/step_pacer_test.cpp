// The pacer's estimate of a step's cost and the prompt budget it gives.
#include "engine/step_pacer.h"

#include <gtest/gtest.h>

#include <limits>

namespace rocmforge::engine {
namespace {

using std::chrono::milliseconds;
constexpr int64_t kUnbounded = std::numeric_limits<int64_t>::max();

TEST(StepPacer, WithoutATargetNeverCaps) {
  StepPacer p(milliseconds(0));
  p.observe(4, 0, 0.01);
  p.observe(4, 1000, 1.0);
  EXPECT_EQ(p.prompt_budget(), kUnbounded);
}

TEST(StepPacer, DoesNotCapBeforeAPromptStepWasTimed) {
  StepPacer p(milliseconds(80));
  EXPECT_EQ(p.prompt_budget(), kUnbounded);
  p.observe(8, 0, 0.02);
  EXPECT_EQ(p.prompt_budget(), kUnbounded);
  p.observe(8, StepPacer::kMinPromptTokens - 1, 0.5);  // too few prompt tokens to learn from
  EXPECT_EQ(p.prompt_budget(), kUnbounded);
}

// Times in powers of two so the arithmetic is exact: decodes alone 2^-7 s,
// each prompt token 2^-10 s beyond them; the 80 ms left 72.1875 ms, 73.92 tokens.
TEST(StepPacer, FitsTheStepToTheTarget) {
  StepPacer p(milliseconds(80));
  const double decodes = 1.0 / 128;
  const double per_token = 1.0 / 1024;
  p.observe(16, 0, decodes);
  p.observe(16, 128, decodes + 128 * per_token);
  EXPECT_EQ(p.prompt_budget(), 73);
  // A step of prompts alone counts its fixed part as the tokens' (a slight overestimate).
  StepPacer q(milliseconds(80));
  q.observe(0, 128, 128 * per_token);
  EXPECT_EQ(q.prompt_budget(), 81);
}

TEST(StepPacer, FollowsAChangeOfCost) {
  StepPacer p(milliseconds(100));
  p.observe(4, 0, 0.0);
  for (int i = 0; i < 40; ++i) p.observe(4, 100, 0.1);  // 1 ms a token
  EXPECT_NEAR(static_cast<double>(p.prompt_budget()), 100.0, 1.0);
  for (int i = 0; i < 40; ++i) p.observe(4, 100, 0.05);  // twice as fast
  EXPECT_NEAR(static_cast<double>(p.prompt_budget()), 200.0, 2.0);
}

// The first prompt step of a process is slow (kernels loading, graphs being
// recorded): two ordinary ones after it give the ordinary budget back.
TEST(StepPacer, OneSlowStepDoesNotHoldTheBudgetDown) {
  StepPacer p(milliseconds(80));
  const double decodes = 1.0 / 128;
  const double per_token = 1.0 / 1024;
  p.observe(16, 0, decodes);
  p.observe(0, 128, 128 * 32 * per_token);  // 32 times the ordinary cost
  EXPECT_EQ(p.prompt_budget(), StepPacer::kMinPromptTokens);
  p.observe(16, 128, decodes + 128 * per_token);
  p.observe(16, 128, decodes + 128 * per_token);
  EXPECT_EQ(p.prompt_budget(), 73);  // as FitsTheStepToTheTarget's
}

TEST(StepPacer, AlwaysLeavesPromptsSomeProgress) {
  StepPacer p(milliseconds(10));
  p.observe(64, 0, 0.05);  // the decodes alone take longer than the target
  p.observe(64, 100, 0.15);
  EXPECT_EQ(p.prompt_budget(), StepPacer::kMinPromptTokens);
  p.observe(64, 100, -1.0);  // a clock that went backwards is ignored
  EXPECT_EQ(p.prompt_budget(), StepPacer::kMinPromptTokens);
}

}  // namespace
}  // namespace rocmforge::engine
