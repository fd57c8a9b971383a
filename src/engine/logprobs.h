// Log-probabilities for reporting (the OpenAI `logprobs` / llama.cpp `n_probs`):
// log-softmax of the raw logits, before penalties, truncation and temperature,
// so that they describe the model rather than the sampler settings.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::engine {

struct TokenLogprob {
  int32_t token;
  float logprob;
};

// One row of logits and its normaliser, computed once: the max, then the sum of
// exp(logit - max) in double. The max is kept apart from log(sum), since folding
// a large max into one float normaliser would cost the logprobs their precision.
class LogSoftmax {
 public:
  explicit LogSoftmax(std::span<const float> logits);

  float logprob(int32_t token) const;
  // The min(k, vocabulary) most likely tokens, by descending logprob, ties by ascending id.
  std::vector<TokenLogprob> top(int k) const;

 private:
  float logprob_of(float logit) const;

  std::span<const float> logits_;
  float max_;
  float log_sum_;  // log(sum(exp(logit - max_)))
};

std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, int k);

}  // namespace rocmforge::engine
