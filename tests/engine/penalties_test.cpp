#include "engine/penalties.h"

#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <vector>

namespace rocmforge::engine {
namespace {

TEST(Penalties, RepeatDividesPositiveAndMultipliesNonPositiveLogits) {
  Penalties penalties(64, 2.0f, 0.0f, 0.0f);
  penalties.accept(2);
  penalties.accept(1);
  penalties.accept(4);
  const std::vector<float> logits = {3.0f, 4.0f, -1.0f, 0.5f, 0.0f};
  std::vector<Candidate> out;
  penalties.penalised(logits, out);
  ASSERT_EQ(out.size(), 3u);  // sorted by id
  EXPECT_EQ(out[0].id, 1);
  EXPECT_FLOAT_EQ(out[0].logit, 2.0f);
  EXPECT_EQ(out[1].id, 2);
  EXPECT_FLOAT_EQ(out[1].logit, -2.0f);
  EXPECT_EQ(out[2].id, 4);
  EXPECT_FLOAT_EQ(out[2].logit, 0.0f);
}

TEST(Penalties, FrequencyCountsOccurrencesPresenceCountsOnce) {
  Penalties penalties(64, 1.0f, 0.5f, 1.0f);
  for (int32_t t : {3, 1, 3, 3}) penalties.accept(t);
  const std::vector<float> logits = {0.0f, 2.0f, 0.0f, 4.0f};
  std::vector<Candidate> out;
  penalties.penalised(logits, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FLOAT_EQ(out[0].logit, 2.0f - 0.5f - 1.0f);
  EXPECT_FLOAT_EQ(out[1].logit, 4.0f - 3 * 0.5f - 1.0f);
}

TEST(Penalties, WindowHoldsOnlyTheLastNTokens) {
  Penalties penalties(2, 1.5f, 0.0f, 0.0f);
  for (int32_t t : {0, 1, 2}) penalties.accept(t);
  EXPECT_EQ(penalties.count(0), 0);
  EXPECT_EQ(penalties.count(1), 1);
  EXPECT_EQ(penalties.count(2), 1);
  penalties.accept(1);
  penalties.accept(1);
  EXPECT_EQ(penalties.count(1), 2);
  EXPECT_EQ(penalties.count(2), 0);
}

TEST(Penalties, CountsMatchABruteForceWindowOnARandomStream) {
  constexpr size_t kWindow = 7;
  Penalties penalties(kWindow, 1.1f, 0.0f, 0.0f);
  std::deque<int32_t> window;
  std::mt19937_64 rng(3);
  for (int step = 0; step < 500; ++step) {
    const auto token = static_cast<int32_t>(rng() % 10);
    penalties.accept(token);
    window.push_back(token);
    if (window.size() > kWindow) window.pop_front();
    for (int32_t t = 0; t < 10; ++t) {
      ASSERT_EQ(penalties.count(t), std::count(window.begin(), window.end(), t)) << "step " << step;
    }
  }
}

TEST(Penalties, InactiveWhenNeutralOrWindowless) {
  EXPECT_FALSE(Penalties(64, 1.0f, 0.0f, 0.0f).active());
  EXPECT_FALSE(Penalties(0, 2.0f, 1.0f, 1.0f).active());
  EXPECT_TRUE(Penalties(1, 1.0f, 0.0f, 0.1f).active());
  Penalties off(0, 2.0f, 0.0f, 0.0f);
  off.accept(5);
  EXPECT_EQ(off.count(5), 0);
}

TEST(Penalties, ClearEmptiesTheWindow) {
  Penalties penalties(4, 2.0f, 0.0f, 0.0f);
  for (int32_t t : {1, 2, 3, 4, 5}) penalties.accept(t);
  penalties.clear();
  for (int32_t t = 0; t < 6; ++t) EXPECT_EQ(penalties.count(t), 0);
  // The window refills from scratch: four more tokens, the first still counted.
  for (int32_t t : {6, 7, 8, 9}) penalties.accept(t);
  EXPECT_EQ(penalties.count(6), 1);
  penalties.accept(10);
  EXPECT_EQ(penalties.count(6), 0);
}

}  // namespace
}  // namespace rocmforge::engine
