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

// One row of logits and its normaliser: the log-sum-exp is computed once, in one
// stable pass (max first, sum in double), then each query is cheap.
class LogSoftmax {
 public:
  explicit LogSoftmax(std::span<const float> logits);

  float log_normaliser() const { return log_normaliser_; }
  float logprob(int32_t token) const;
  // The min(k, vocabulary) most likely tokens, by descending logprob, ties by ascending id.
  std::vector<TokenLogprob> top(int k) const;

 private:
  std::span<const float> logits_;
  float log_normaliser_;
};

std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, int k);

}  // namespace rocmforge::engine
