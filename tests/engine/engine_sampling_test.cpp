// The engine over the fake model: what a step asks of the model (the argmax,
// the best candidates or whole rows of logits) and that every way draws the
// same tokens; seeded sampling alone, in a batch and on several threads.
#include <gtest/gtest.h>

#include <set>

#include "engine/engine.h"
#include "engine_fixture.h"

namespace rocmforge::engine::testing {
namespace {

// Request i of a batch: prompt_of(i, 5), seed 100 + i, temperature and
// top-p alone; end-of-generation ignored (a high temperature draws it too).
Request seeded_request(int i, int64_t max_tokens, float temperature, float top_p) {
  Request r = greedy_request(prompt_of(i, 5), max_tokens);
  r.sampling.temperature = temperature;
  r.sampling.top_k = 0;
  r.sampling.top_p = top_p;
  r.sampling.min_p = 0.0f;
  r.sampling.seed = static_cast<uint64_t>(100 + i);
  r.ignore_eos = true;
  return r;
}

// A step whose sampled sequences all draw greedily without log-probabilities
// asks the model for each row's argmax only; one whose sequences may all draw
// from a row's best candidates asks for those; any other request needs rows.
TEST(Engine, OnlyGreedyStepsAskForTheArgmaxAlone) {
  const std::vector<int32_t> prompt = letters("abc");
  auto wanted_by = [&](Request r, int64_t n_candidates = 4) {
    EngineOptions o = small_options();
    o.n_candidates = n_candidates;
    FakeEngine f(o);
    r.ignore_eos = true;
    EXPECT_EQ(collect(**f.engine->submit(std::move(r))).tokens.size(), 4u);
    std::set<LogitsWanted> wanted;
    for (const StepRecord& s : f.log->steps()) wanted.insert(s.wanted);
    return wanted;
  };
  const std::set<LogitsWanted> argmax = {LogitsWanted::kArgmax};
  const std::set<LogitsWanted> top = {LogitsWanted::kTopK};
  const std::set<LogitsWanted> rows = {LogitsWanted::kRows};
  EXPECT_EQ(wanted_by(greedy_request(prompt, 4)), argmax);
  Request r = greedy_request(prompt, 4);
  r.sampling.temperature = 0.8f;
  r.sampling.top_k = 1;
  EXPECT_EQ(wanted_by(r), argmax);
  r.sampling.top_k = 4;
  EXPECT_EQ(wanted_by(r), top);
  EXPECT_EQ(wanted_by(r, 0), rows);  // candidates turned off
  r.sampling.top_k = 5;              // more than the candidates
  r.sampling.top_p = 1.0f;
  r.sampling.min_p = 0.0f;
  EXPECT_EQ(wanted_by(r), rows);
  r.sampling.top_k = 0;  // temperature alone
  EXPECT_EQ(wanted_by(r), rows);
  EXPECT_EQ(wanted_by(r, 64), top);  // candidates that are the whole vocabulary
  r = greedy_request(prompt, 4);
  r.sampling.repeat_penalty = 1.2f;
  EXPECT_EQ(wanted_by(r), top);
  r.sampling.repeat_penalty = 0.8f;  // may raise a logit
  EXPECT_EQ(wanted_by(r), rows);
  r = greedy_request(prompt, 4);
  r.logprobs = true;
  EXPECT_EQ(wanted_by(r), rows);
}

// Seeded sampling draws the same tokens from whole rows, from candidates that
// are the whole vocabulary, and from two candidates per row, with the rows
// they do not settle read back whole.
TEST(Engine, SampledTokensAreTheSameFromCandidatesAndFromRows) {
  auto run = [](int64_t n_candidates, float top_p, EngineStats* stats) {
    EngineOptions o = small_options();
    o.n_candidates = n_candidates;
    FakeEngine f(o);
    std::vector<std::shared_ptr<RequestHandle>> handles;
    f.log->gate();  // all in the same steps
    for (int i = 0; i < 6; ++i) {
      Request r = seeded_request(i, 12, 1.0f, top_p);
      r.sampling.presence_penalty = i % 2 == 0 ? 0.0f : 2.0f;
      handles.push_back(*f.engine->submit(r));
    }
    f.log->ungate();
    std::vector<std::vector<int32_t>> out;
    for (auto& h : handles) out.push_back(collect(*h).tokens);
    f.engine->shutdown(std::chrono::steady_clock::now());  // the last step's counts are published
    *stats = f.engine->stats();
    return out;
  };
  // The fake's rows: 10 for the next letter, 5 for the one after, 0 elsewhere.
  // top-p 0.99 keeps the first alone; 0.9995 needs the zeros too: no two candidates settle it.
  for (const float top_p : {0.99f, 0.9995f}) {
    SCOPED_TRACE(top_p);
    EngineStats rows_stats;
    EngineStats whole_stats;
    EngineStats top_stats;
    const auto rows = run(0, top_p, &rows_stats);
    EXPECT_EQ(run(64, top_p, &whole_stats), rows);
    EXPECT_EQ(run(2, top_p, &top_stats), rows);
    EXPECT_EQ(rows_stats.tokens_from_candidates, 0);
    EXPECT_EQ(whole_stats.tokens_from_candidates, 72);
    EXPECT_EQ(top_stats.tokens_from_candidates + top_stats.rows_read_whole, 72);
    if (top_p < 0.999f) {
      EXPECT_GT(top_stats.tokens_from_candidates, 0);
    } else {
      EXPECT_EQ(top_stats.rows_read_whole, 72);
    }
  }
}

// A greedy request sharing steps with one that wants logprobs is drawn from
// the rows, to the tokens it draws alone from the argmax.
TEST(Engine, GreedyTokensAreTheSameFromTheArgmaxAndFromTheRows) {
  FakeEngine f(small_options());
  const std::vector<int32_t> prompt = letters("abc");
  const std::vector<int32_t> expected = expected_tokens(hashed_letter, prompt, 6);
  EXPECT_EQ(collect(**f.engine->submit(greedy_request(prompt, 6))).tokens, expected);
  const size_t n_alone = f.log->steps().size();
  f.log->gate();  // the first step waits until both are queued: they share the later ones
  Request with_logprobs = greedy_request(prompt, 6);
  with_logprobs.logprobs = true;
  auto plain = *f.engine->submit(greedy_request(prompt, 6));
  auto rows = *f.engine->submit(with_logprobs);
  f.log->ungate();
  EXPECT_EQ(collect(*plain).tokens, expected);
  EXPECT_EQ(collect(*rows).tokens, expected);
  const std::vector<StepRecord> steps = f.log->steps();
  int n_shared = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (i < n_alone) {
      EXPECT_EQ(steps[i].wanted, LogitsWanted::kArgmax) << "step " << i;
    }
    if (steps[i].n_seqs == 2) {
      ++n_shared;
      EXPECT_EQ(steps[i].wanted, LogitsWanted::kRows) << "step " << i;
    }
  }
  EXPECT_GE(n_shared, 5);
}

TEST(Engine, SeededSamplingRepeatsAloneAndInABatch) {
  FakeEngine f(small_options());
  Request r = greedy_request(prompt_of(5, 6), 12);
  r.sampling.temperature = 1.5f;
  r.sampling.top_k = 0;
  r.sampling.top_p = 1.0f;
  r.sampling.min_p = 0.0f;
  r.sampling.seed = 42;
  const std::vector<int32_t> alone = collect(**f.engine->submit(r)).tokens;
  std::vector<std::shared_ptr<RequestHandle>> crowd;
  for (int i = 0; i < 6; ++i) crowd.push_back(*f.engine->submit(r));
  for (auto& h : crowd) EXPECT_EQ(collect(*h).tokens, alone);
}

// Several threads drawing a step's rows give each request the tokens and
// log-probabilities one thread gives it.
TEST(Engine, ParallelSamplingDrawsWhatOneThreadDraws) {
  auto run = [](int threads) {
    EngineOptions o = small_options();
    o.sampling_threads = threads;
    FakeEngine f(o);
    std::vector<std::shared_ptr<RequestHandle>> handles;
    f.log->gate();  // all in the same steps
    for (int i = 0; i < 8; ++i) {
      Request r = seeded_request(i, 16, 3.0f, 1.0f);
      r.logprobs = true;
      r.top_logprobs = 2;
      handles.push_back(*f.engine->submit(r));
    }
    f.log->ungate();
    std::vector<std::pair<std::vector<int32_t>, std::vector<float>>> out;
    for (auto& h : handles) {
      const Collected c = collect(*h);
      std::vector<float> logprobs;
      for (const Event& e : c.events) {
        if (e.token) logprobs.push_back(*e.token->logprob);
      }
      out.emplace_back(c.tokens, logprobs);
    }
    return out;
  };
  const auto one = run(1);
  const auto four = run(4);
  ASSERT_EQ(one.size(), four.size());
  std::set<std::vector<int32_t>> distinct;
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(four[i].first, one[i].first) << "request " << i;
    EXPECT_EQ(four[i].second, one[i].second) << "request " << i;
    EXPECT_EQ(one[i].first.size(), 16u);
    distinct.insert(one[i].first);
  }
  EXPECT_GT(distinct.size(), 1u);  // the seeds drew different tokens: the comparison means something
}

}  // namespace
}  // namespace rocmforge::engine::testing
