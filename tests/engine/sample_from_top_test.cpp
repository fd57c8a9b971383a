// Sampling by candidates against sampling whole rows: two samplers with one
// seed draw from the same rows, one from the whole row, the other from the
// row's best k (the CPU backend's top_k, as the engine gets them) and the whole
// row only when those do not settle the draw. Every token must be the same,
// and the generators must stay in step. Then what the candidates settle and
// what they must leave to the whole row.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "engine/sampler.h"

namespace rocmforge::engine {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Sampler make_sampler(const SamplingParams& params, int32_t n_vocab) {
  auto sampler = Sampler::create(params, n_vocab, 4096);
  if (!sampler) throw std::runtime_error(sampler.error().to_string());
  return std::move(sampler).value();
}

SamplingParams params(float temperature, int32_t top_k, float top_p, float min_p, uint64_t seed = 7) {
  SamplingParams p;
  p.temperature = temperature;
  p.top_k = top_k;
  p.top_p = top_p;
  p.min_p = min_p;
  p.seed = seed;
  return p;
}

// One row's candidates as the engine receives them.
struct TopOfRow {
  std::vector<Candidate> best;
  float sum = 0.0f;
  TopRow view(int32_t n_vocab) const { return {best, sum, n_vocab}; }
};

TopOfRow top_of(const std::vector<float>& row, int64_t k) {
  backend::CpuBackend backend(1);
  std::vector<float> values(static_cast<size_t>(k));
  std::vector<int32_t> ids(static_cast<size_t>(k));
  TopOfRow top;
  std::vector<float> copy = row;
  backend.top_k(backend::f32_tensor(copy.data(), 1, static_cast<int64_t>(row.size())), k, values.data(), ids.data(),
                &top.sum);
  for (int64_t i = 0; i < k; ++i) top.best.push_back({values[static_cast<size_t>(i)], ids[static_cast<size_t>(i)]});
  return top;
}

using RowMaker = std::function<std::vector<float>(std::mt19937&)>;

// A peaked row, like a language model's: a few likely tokens over a long tail.
RowMaker peaked(size_t n_vocab, float spread) {
  return [=](std::mt19937& rng) {
    std::normal_distribution<float> tail(0.0f, spread);
    std::vector<float> row(n_vocab);
    for (float& l : row) l = tail(rng);
    std::uniform_int_distribution<size_t> pick(0, n_vocab - 1);
    for (int i = 0; i < 4; ++i) row[pick(rng)] += 10.0f + static_cast<float>(i);
    return row;
  };
}

// Few distinct values: ties everywhere, at the bound too.
RowMaker tied(size_t n_vocab) {
  return [=](std::mt19937& rng) {
    std::uniform_int_distribution<int> level(0, 5);
    std::vector<float> row(n_vocab);
    for (float& l : row) l = static_cast<float>(level(rng)) * 1.5f;
    return row;
  };
}

// Every token about as likely: no few candidates hold most of the mass.
RowMaker flat(size_t n_vocab) {
  return [=](std::mt19937& rng) {
    std::uniform_real_distribution<float> jitter(-0.01f, 0.01f);
    std::vector<float> row(n_vocab);
    for (float& l : row) l = jitter(rng);
    return row;
  };
}

// A peaked row with NaN, -inf and signed zeros sprinkled in.
RowMaker masked(size_t n_vocab) {
  return [=](std::mt19937& rng) {
    std::vector<float> row = peaked(n_vocab, 1.0f)(rng);
    std::uniform_int_distribution<int> kind(0, 9);
    for (float& l : row) {
      const int k = kind(rng);
      if (k == 0) l = kNaN;
      if (k == 1) l = -kInf;
      if (k == 2) l = 0.0f;
      if (k == 3) l = -0.0f;
    }
    return row;
  };
}

struct Outcome {
  int settled = 0;  // draws the candidates settled
  int draws = 0;
};

// `n_rows` rows drawn by both samplers; each token is accepted by both (the
// penalty window), after `prompt`.
Outcome compare(const SamplingParams& p, const RowMaker& make_row, int32_t n_vocab, int64_t k, int n_rows,
                const std::vector<int32_t>& prompt = {}, double sum_error = 0.0) {
  Sampler whole = make_sampler(p, n_vocab);
  Sampler by_top = make_sampler(p, n_vocab);
  EXPECT_TRUE(whole.accept(prompt));
  EXPECT_TRUE(by_top.accept(prompt));
  std::mt19937 rng(static_cast<uint32_t>(p.seed) * 31 + static_cast<uint32_t>(k));
  Outcome out;
  for (int i = 0; i < n_rows; ++i) {
    const std::vector<float> row = make_row(rng);
    TopOfRow top = top_of(row, k);
    // The device sums in another order, with another exp: off by far less than the tolerance.
    top.sum = static_cast<float>(top.sum * (1.0 + sum_error * (i % 2 == 0 ? 1.0 : -1.0)));
    const int32_t want = whole.sample(row);
    std::optional<int32_t> got = by_top.sample_from_top(top.view(n_vocab));
    if (got) {
      ++out.settled;
    } else {
      got = by_top.sample(row);
    }
    ++out.draws;
    EXPECT_EQ(*got, want) << "row " << i;
    if (*got != want) return out;
    EXPECT_TRUE(whole.accept(want));
    EXPECT_TRUE(by_top.accept(want));
  }
  return out;
}

TEST(SampleFromTop, TopKAloneIsAlwaysSettled) {
  for (int32_t top_k : {1, 5, 40, 64}) {
    const Outcome o = compare(params(0.8f, top_k, 1.0f, 0.0f), peaked(1000, 2.0f), 1000, 64, 200);
    EXPECT_EQ(o.settled, o.draws) << "top-k " << top_k;
  }
  // More than the candidates: never.
  const Outcome o = compare(params(0.8f, 65, 1.0f, 0.0f), peaked(1000, 2.0f), 1000, 64, 50);
  EXPECT_EQ(o.settled, 0);
}

TEST(SampleFromTop, TopPAloneOnPeakedRows) {
  for (float top_p : {0.5f, 0.9f, 0.95f}) {
    const Outcome o = compare(params(1.0f, 0, top_p, 0.0f), peaked(5000, 1.0f), 5000, 64, 300);
    EXPECT_GT(o.settled, o.draws / 2) << "top-p " << top_p;
  }
}

TEST(SampleFromTop, MinPAloneOnPeakedRows) {
  for (float min_p : {0.01f, 0.05f, 0.2f}) {
    const Outcome o = compare(params(1.0f, 0, 1.0f, min_p), peaked(5000, 1.0f), 5000, 64, 300);
    EXPECT_GT(o.settled, o.draws / 2) << "min-p " << min_p;
  }
}

TEST(SampleFromTop, CombinationsAndTemperatures) {
  int settled = 0;
  int draws = 0;
  for (float temperature : {0.2f, 0.8f, 1.5f}) {
    for (const SamplingParams& p : {params(temperature, 40, 0.95f, 0.05f), params(temperature, 0, 0.9f, 0.05f),
                                    params(temperature, 20, 0.5f, 0.0f), params(temperature, 64, 1.0f, 0.1f),
                                    params(temperature, 1000, 0.95f, 0.0f)}) {
      for (float spread : {0.5f, 2.0f}) {
        const Outcome o = compare(p, peaked(3000, spread), 3000, 64, 150);
        settled += o.settled;
        draws += o.draws;
      }
    }
  }
  EXPECT_GT(settled, draws / 2);
}

TEST(SampleFromTop, MinKeepBeyondTheCut) {
  SamplingParams p = params(1.0f, 0, 0.5f, 0.2f);
  for (int32_t min_keep : {1, 10, 64, 65}) {
    p.min_keep = min_keep;
    const Outcome o = compare(p, peaked(2000, 1.0f), 2000, 64, 150);
    if (min_keep > 64) {
      EXPECT_EQ(o.settled, 0);
    }
  }
}

// Ties at the bound and among the leaders, under every filter.
TEST(SampleFromTop, TiedRows) {
  for (const SamplingParams& p : {params(1.0f, 10, 1.0f, 0.0f), params(1.0f, 0, 0.9f, 0.0f),
                                  params(1.0f, 0, 1.0f, 0.5f), params(0.7f, 40, 0.95f, 0.05f)}) {
    compare(p, tied(500), 500, 32, 200);
  }
}

// Flat rows: top-p and min-p keep far more than the candidates, so the whole
// row decides; top-k within the candidates still settles.
TEST(SampleFromTop, FlatRowsFallBackToTheWholeRow) {
  EXPECT_EQ(compare(params(1.0f, 0, 0.9f, 0.0f), flat(4000), 4000, 64, 100).settled, 0);
  EXPECT_EQ(compare(params(1.0f, 0, 1.0f, 0.05f), flat(4000), 4000, 64, 100).settled, 0);
  const Outcome o = compare(params(1.0f, 30, 0.9f, 0.05f), flat(4000), 4000, 64, 100);
  EXPECT_EQ(o.settled, o.draws);
}

TEST(SampleFromTop, NaNAndMaskedTokens) {
  for (const SamplingParams& p : {params(1.0f, 0, 0.9f, 0.0f), params(1.0f, 20, 0.9f, 0.1f),
                                  params(1.0f, 0, 1.0f, 0.1f), params(0.0f, 0, 1.0f, 0.0f)}) {
    compare(p, masked(700), 700, 16, 200);
  }
}

// Temperature alone draws from every token: never from candidates.
TEST(SampleFromTop, TemperatureAloneNeedsTheWholeRow) {
  const SamplingParams p = params(1.0f, 0, 1.0f, 0.0f);
  EXPECT_FALSE(make_sampler(p, 1000).may_sample_from_top(64));
  EXPECT_TRUE(make_sampler(p, 64).may_sample_from_top(64));
  EXPECT_EQ(compare(p, peaked(1000, 3.0f), 1000, 64, 50).settled, 0);
}

// Candidates that are the whole vocabulary settle every draw.
TEST(SampleFromTop, CandidatesThatAreTheWholeRow) {
  for (const SamplingParams& p : {params(1.0f, 0, 1.0f, 0.0f), params(0.9f, 5, 0.9f, 0.05f)}) {
    for (const RowMaker& make : {peaked(48, 1.0f), masked(48), tied(48)}) {
      const Outcome o = compare(p, make, 48, 48, 100);
      EXPECT_EQ(o.settled, o.draws);
    }
  }
}

// Penalties that only lower logits: settled from the candidates with the
// window's tokens among or outside them; greedy with penalties too.
TEST(SampleFromTop, PenaltiesThatOnlyLower) {
  std::vector<int32_t> prompt;
  for (int i = 0; i < 40; ++i) prompt.push_back((i * 37) % 300);
  int settled = 0;
  int draws = 0;
  for (SamplingParams p : {params(0.8f, 40, 0.95f, 0.05f), params(1.0f, 0, 0.9f, 0.0f), params(1.0f, 0, 1.0f, 0.1f),
                           params(0.0f, 40, 0.95f, 0.05f)}) {
    p.repeat_penalty = 1.3f;
    p.frequency_penalty = 0.5f;
    p.presence_penalty = 0.4f;
    p.repeat_last_n = 32;
    // A narrow vocabulary: drawn tokens come back into the window often.
    const Outcome o = compare(p, peaked(300, 1.0f), 300, 32, 200, prompt);
    settled += o.settled;
    draws += o.draws;
  }
  EXPECT_GT(settled, draws / 2);
}

// A penalty that may raise a logit could lift any token into the candidates.
TEST(SampleFromTop, PenaltiesThatMayRaiseNeedTheWholeRow) {
  for (SamplingParams p : {params(0.8f, 40, 0.95f, 0.05f), params(0.0f, 0, 1.0f, 0.0f)}) {
    p.repeat_penalty = 0.8f;
    EXPECT_FALSE(make_sampler(p, 300).may_sample_from_top(32));
    EXPECT_EQ(compare(p, peaked(300, 1.0f), 300, 32, 50, {1, 2, 3}).settled, 0);
    p.repeat_penalty = 1.0f;
    p.presence_penalty = -0.5f;
    EXPECT_EQ(compare(p, peaked(300, 1.0f), 300, 32, 50, {1, 2, 3}).settled, 0);
  }
}

// The device's sum off within the tolerance leaves every token the same.
TEST(SampleFromTop, SumsOffByRoundingDrawTheSameTokens) {
  for (double error : {1e-7, 1e-6, 5e-6}) {
    const Outcome o = compare(params(1.0f, 0, 0.9f, 0.0f), peaked(5000, 1.0f), 5000, 64, 300, {}, error);
    EXPECT_GT(o.settled, 0) << error;
  }
}

// The cut where top-p's target lies within the sum's uncertainty is not
// taken: p is the best token's share of the mass, most of the rest unseen.
TEST(SampleFromTop, AnUndecidedCutIsLeftToTheWholeRow) {
  std::vector<float> row(100, -5.0f);
  row[3] = 0.0f;
  row[7] = -1.0f;
  const TopOfRow top = top_of(row, 2);
  const auto share = static_cast<float>(1.0 / (1.0 + std::exp(-1.0) + 98.0 * std::exp(-5.0)));
  Sampler s = make_sampler(params(1.0f, 0, share, 0.0f), 100);
  EXPECT_EQ(s.sample_from_top(top.view(100)), std::nullopt);
  Sampler clear = make_sampler(params(1.0f, 0, share * 0.999f, 0.0f), 100);
  EXPECT_EQ(clear.sample_from_top(top.view(100)), std::optional<int32_t>(3));
  Sampler past = make_sampler(params(1.0f, 0, share * 1.5f, 0.0f), 100);
  EXPECT_EQ(past.sample_from_top(top.view(100)), std::nullopt);  // the cut lies past the two seen
}

TEST(TopRowRanking, PenalisedCandidatesFallingPastTheBoundAreNoLeaders) {
  // Candidates 10, 9, 8, 7 (ids 0..3); the rest at most 7.
  const std::vector<Candidate> best = {{10.0f, 0}, {9.0f, 1}, {8.0f, 2}, {7.0f, 3}};
  Penalties penalties(8, 1.0f, 0.0f, 2.5f);
  penalties.accept(1);   // 9 -> 6.5: past the bound
  penalties.accept(0);   // 10 -> 7.5: still a leader
  penalties.accept(50);  // unseen
  TopRowRanking ranking;
  ranking.assign({best, 1.0f, 100}, penalties);
  const std::vector<Candidate> leaders(ranking.leaders().begin(), ranking.leaders().end());
  ASSERT_EQ(leaders.size(), 3u);
  EXPECT_EQ(leaders[0].id, 2);
  EXPECT_EQ(leaders[1].id, 0);
  EXPECT_FLOAT_EQ(leaders[1].logit, 7.5f);
  EXPECT_EQ(leaders[2].id, 3);  // the bound itself
  EXPECT_TRUE(ranking.leads_all_above(7.01f));
  EXPECT_FALSE(ranking.leads_all_above(7.0f));
}

}  // namespace
}  // namespace rocmforge::engine
