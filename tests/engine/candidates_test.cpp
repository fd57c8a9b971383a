#include "engine/candidates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace rocmforge::engine {
namespace {

// Logits of a hand-built distribution: log of each probability.
std::vector<float> log_of(const std::vector<double>& probs) {
  std::vector<float> logits;
  for (double p : probs) logits.push_back(static_cast<float>(std::log(p)));
  return logits;
}

std::vector<int32_t> sorted_ids(Candidates& candidates) {
  std::vector<int32_t> ids;
  for (const Candidate& c : candidates.view()) ids.push_back(c.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// Coarse values, so that many logits tie.
std::vector<float> random_logits(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> logits(n);
  for (float& l : logits) l = static_cast<float>(rng() % 50) * 0.25f - 6.0f;
  return logits;
}

std::vector<Candidate> fully_ranked(const std::vector<float>& logits) {
  std::vector<Candidate> all;
  for (size_t i = 0; i < logits.size(); ++i) all.push_back({logits[i], static_cast<int32_t>(i)});
  std::sort(all.begin(), all.end(), ranks_before);
  return all;
}

void expect_same(std::span<const Candidate> got, std::span<const Candidate> want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id) << "rank " << i;
    EXPECT_EQ(got[i].logit, want[i].logit) << "rank " << i;
  }
}

TEST(SelectTop, MatchesAFullSortWithTiesByLowerId) {
  const std::vector<float> logits = random_logits(1000, 7);
  const std::vector<Candidate> ranked = fully_ranked(logits);
  std::vector<Candidate> out;
  for (size_t k : {1, 2, 40, 999, 1000, 5000}) {
    select_top(logits, k, out);
    const size_t n = std::min(k, logits.size());
    expect_same(out, std::span(ranked).first(n));
  }
  select_top(logits, 0, out);
  EXPECT_TRUE(out.empty());
}

TEST(SelectTop, RanksNaNBelowEverything) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> logits = {nan, -100.0f, nan, 3.0f};
  std::vector<Candidate> out;
  select_top(logits, 2, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].id, 3);
  EXPECT_EQ(out[1].id, 1);
}

TEST(Candidates, TopKWithOverridesEqualsTopKOfPatchedLogits) {
  std::vector<float> logits = random_logits(500, 11);
  const std::vector<Candidate> ranked = fully_ranked(logits);
  // Push the best token far down, lift a poor one to the top, nudge a middling one.
  const std::vector<Candidate> overrides = {
      {ranked[0].logit - 50.0f, ranked[0].id}, {100.0f, ranked[400].id}, {ranked[10].logit, ranked[10].id}};
  std::vector<Candidate> sorted_overrides = overrides;
  std::sort(sorted_overrides.begin(), sorted_overrides.end(), [](auto& a, auto& b) { return a.id < b.id; });
  std::vector<float> patched = logits;
  for (const Candidate& o : overrides) patched[static_cast<size_t>(o.id)] = o.logit;
  const std::vector<Candidate> want = fully_ranked(patched);

  Candidates candidates;
  for (size_t k : {1, 3, 40, 500}) {
    candidates.select_top_k(logits, k, sorted_overrides);
    expect_same(candidates.view(), std::span(want).first(k));
  }
}

TEST(Candidates, SelectAllKeepsIdOrderThroughTheFilters) {
  const std::vector<float> logits = {0.5f, 2.0f, -9.0f, 1.0f, 1.9f};
  const std::vector<Candidate> overrides = {{3.0f, 2}};
  Candidates candidates;
  candidates.select_all(logits, overrides);
  candidates.keep_top_p(0.95f, 0);
  candidates.keep_min_p(0.2f, 0);
  std::vector<int32_t> ids;
  for (const Candidate& c : candidates.view()) ids.push_back(c.id);
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 2, 4}));
  EXPECT_EQ(candidates.view()[1].logit, 3.0f);
}

// Probabilities by id: 0.05, 0.5, 0.15, 0.3 (rank order: 1, 3, 2, 0).
const std::vector<double> kProbs = {0.05, 0.5, 0.15, 0.3};

// The ids of kProbs that survive `filter`, ascending.
template <class Filter>
std::vector<int32_t> kept_by(Filter filter) {
  Candidates candidates;
  candidates.select_all(log_of(kProbs), {});
  filter(candidates);
  return sorted_ids(candidates);
}

TEST(Candidates, TopPKeepsTheSmallestPrefixReachingP) {
  const auto kept = [](float p, size_t min_keep) {
    return kept_by([&](Candidates& c) { c.keep_top_p(p, min_keep); });
  };
  EXPECT_EQ(kept(0.4f, 0), (std::vector<int32_t>{1}));
  EXPECT_EQ(kept(0.75f, 0), (std::vector<int32_t>{1, 3}));
  EXPECT_EQ(kept(0.85f, 0), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(kept(0.99f, 0), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(kept(0.0f, 0), (std::vector<int32_t>{1}));
  EXPECT_EQ(kept(1.0f, 0), (std::vector<int32_t>{0, 1, 2, 3}));
  // min_keep wins over a small p.
  EXPECT_EQ(kept(0.4f, 3), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(kept(0.75f, 1), (std::vector<int32_t>{1, 3}));
}

TEST(Candidates, TopPMeasuresMassOverTheTopKSetOnly) {
  Candidates candidates;
  const std::vector<Candidate> none;
  // After top-k 2 the mass renormalises to {1: 0.625, 3: 0.375}: p = 0.6 keeps one.
  candidates.select_top_k(log_of(kProbs), 2, none);
  candidates.keep_top_p(0.6f, 0);
  EXPECT_EQ(sorted_ids(candidates), (std::vector<int32_t>{1}));
}

TEST(Candidates, TopPCutsInsideOneCrowdedBucket) {
  // 1000 equal logits: half the mass is the 500 lowest ids.
  const std::vector<float> logits(1000, 0.0f);
  Candidates candidates;
  candidates.select_all(logits, {});
  candidates.keep_top_p(0.5f, 0);
  const auto view = candidates.view();
  ASSERT_EQ(view.size(), 500u);
  for (size_t i = 0; i < view.size(); ++i) EXPECT_EQ(view[i].id, static_cast<int32_t>(i));
}

std::vector<float> spread_logits(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<float> logits(n);
  for (float& l : logits) l = static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53 * 40.0 - 30.0);
  return logits;
}

// Without top-k the filters work on unranked candidates by other algorithms
// (buckets, thresholds, nth_element); they must keep what the ranked path keeps.
TEST(Candidates, UnrankedFiltersKeepWhatRankedFiltersKeep) {
  const std::vector<float> logits = spread_logits(20000, 17);
  for (float p : {0.0f, 0.1f, 0.5f, 0.9f, 0.95f, 0.999f}) {
    for (size_t min_keep : {0, 1, 300, 25000}) {
      Candidates ranked;
      Candidates unranked;
      ranked.select_top_k(logits, logits.size(), {});
      unranked.select_all(logits, {});
      ranked.keep_top_p(p, min_keep);
      unranked.keep_top_p(p, min_keep);
      EXPECT_EQ(sorted_ids(unranked), sorted_ids(ranked)) << "top_p " << p << " min_keep " << min_keep;
      ranked.select_top_k(logits, logits.size(), {});
      unranked.select_all(logits, {});
      ranked.keep_min_p(p, min_keep);
      unranked.keep_min_p(p, min_keep);
      EXPECT_EQ(sorted_ids(unranked), sorted_ids(ranked)) << "min_p " << p << " min_keep " << min_keep;
    }
  }
}

TEST(Candidates, MinPKeepsTokensAtLeastPTimesTheBest) {
  const auto kept = [](float p, size_t min_keep) {
    return kept_by([&](Candidates& c) { c.keep_min_p(p, min_keep); });
  };
  EXPECT_EQ(kept(0.25f, 0), (std::vector<int32_t>{1, 2, 3}));  // >= 0.125
  EXPECT_EQ(kept(0.5f, 0), (std::vector<int32_t>{1, 3}));      // >= 0.25
  EXPECT_EQ(kept(0.9f, 0), (std::vector<int32_t>{1}));
  EXPECT_EQ(kept(0.05f, 0), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(kept(0.0f, 0), (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(kept(0.9f, 3), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(kept(0.9f, 10), (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(Candidates, MinKeepBreaksTiesByLowerId) {
  std::vector<float> logits(40, 0.0f);
  logits[7] = 5.0f;
  for (bool ranked : {false, true}) {
    Candidates candidates;
    if (ranked) {
      candidates.select_top_k(logits, logits.size(), {});
    } else {
      candidates.select_all(logits, {});
    }
    candidates.keep_min_p(0.9f, 4);
    EXPECT_EQ(sorted_ids(candidates), (std::vector<int32_t>{0, 1, 2, 7})) << "ranked " << ranked;
  }
}

TEST(Candidates, MinPAfterTopPFiltersTheRemainingSet) {
  const auto kept = kept_by([](Candidates& c) {
    c.keep_top_p(0.85f, 0);  // {1, 3, 2}
    c.keep_min_p(0.5f, 0);   // of those, >= 0.25: {1, 3}
  });
  EXPECT_EQ(kept, (std::vector<int32_t>{1, 3}));
}

}  // namespace
}  // namespace rocmforge::engine
