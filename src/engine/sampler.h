// Picks the next token from a row of logits, as llama.cpp's default sampler
// chain does:
//
//   penalties -> top-k -> top-p -> min-p -> temperature -> draw
//
// top-p and min-p therefore see the distribution at temperature 1; temperature
// only reshapes what they kept. Temperature <= 0 is greedy: the argmax of the
// penalised logits (lowest id on ties), with no random draw.
//
// Determinism: the generator is std::mt19937_64, whose output the standard fixes,
// and the uniform variate is built from its raw bits (the <random> distributions
// differ between standard libraries), over candidates in a fixed order. The same
// seed and logits give the same tokens with any standard library.
//
// Sampling by candidates (sample_from_top): the same draw from a row's best
// few logits and its normaliser (engine/top_row.h says what they prove),
// when they settle it; otherwise the caller passes the whole row to sample().
//
// The penalty window holds what the caller accept()s. sample() accepts nothing:
// the caller accepts each token it keeps, and may accept the prompt first, as
// llama-cli and llama-server both do (their penalties then see the prompt too).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "engine/candidates.h"
#include "engine/penalties.h"
#include "engine/sampling_params.h"
#include "engine/top_row.h"
#include "rocmforge/error.h"

namespace rocmforge::engine {

class Sampler {
 public:
  // n_ctx: the context size, the window when params.repeat_last_n is -1.
  static Result<Sampler> create(const SamplingParams& params, int32_t n_vocab, int32_t n_ctx);

  // logits: [n_vocab]. Allocates nothing once its buffers have grown.
  int32_t sample(std::span<const float> logits);
  // Whether sample() always returns the argmax of the logits as given (the
  // lowest id on ties, NaN ranking as -inf): greedy, or top-k 1, with no
  // penalties. Its caller may then pick that id elsewhere (on the device)
  // and skip sample(), which would change nothing but the generator's state.
  bool picks_argmax() const;

  // sample() on the row `top` was taken from, when its candidates settle the
  // draw: the same token and the same use of the generator. nullopt, with
  // the generator untouched, when they do not: sample() the whole row then.
  // Equal to sample() unless the device's sum is off by more than
  // TopRowRanking::kSumTolerance (top-p without top-k reads it).
  std::optional<int32_t> sample_from_top(const TopRow& top);
  // Whether candidates k to a row may settle this sampler's draws: false when
  // they never can (temperature alone over every token, top-k above k,
  // penalties that may raise a logit).
  bool may_sample_from_top(size_t k) const;

  // Records tokens into the penalty window; an id outside the vocabulary is an
  // error (and nothing of the call is recorded).
  Status accept(int32_t token);
  Status accept(std::span<const int32_t> tokens);

  // Empties the penalty window and restarts the generator from seed(): a reset
  // sampler repeats its tokens (llama.cpp instead draws a new random seed).
  void reset();

  // The seed in use: params.seed, or the one picked when that was kRandomSeed.
  uint64_t seed() const { return seed_; }
  const SamplingParams& params() const { return params_; }
  int32_t n_vocab() const { return n_vocab_; }

 private:
  Sampler(const SamplingParams& params, int32_t n_vocab, int32_t window, uint64_t seed);
  int32_t draw();

  SamplingParams params_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937_64 rng_;
  Penalties penalties_;
  // Buffers reused from call to call.
  Candidates candidates_;
  TopRowRanking top_ranking_;
  std::vector<float> whole_row_;
  std::vector<Candidate> penalised_;
  std::vector<double> weights_;
};

}  // namespace rocmforge::engine
