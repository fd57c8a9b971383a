#include "engine/logprobs.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "engine/candidates.h"

namespace rocmforge::engine {

LogSoftmax::LogSoftmax(std::span<const float> logits)
    : logits_(logits), max_(-std::numeric_limits<float>::infinity()), log_sum_(0.0f) {
  for (float l : logits) max_ = std::max(max_, l);
  if (std::isinf(max_)) return;  // all masked, or an infinite logit: no finite sum to take
  double sum = 0.0;
  for (float l : logits) sum += std::exp(l - max_);
  log_sum_ = static_cast<float>(std::log(sum));
}

float LogSoftmax::logprob_of(float logit) const { return (logit - max_) - log_sum_; }

float LogSoftmax::logprob(int32_t token) const {
  assert(token >= 0 && static_cast<size_t>(token) < logits_.size());
  return logprob_of(logits_[static_cast<size_t>(token)]);
}

std::vector<TokenLogprob> LogSoftmax::top(int k) const {
  std::vector<Candidate> best;
  select_top(logits_, static_cast<size_t>(std::max(k, 0)), best);
  std::vector<TokenLogprob> out;
  out.reserve(best.size());
  for (const Candidate& c : best) out.push_back({c.id, logprob_of(c.logit)});
  return out;
}

std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, int k) { return LogSoftmax(logits).top(k); }

}  // namespace rocmforge::engine
