#include "engine/logprobs.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "engine/candidates.h"

namespace rocmforge::engine {
namespace {

float log_sum_exp(std::span<const float> logits) {
  float max = -std::numeric_limits<float>::infinity();
  for (float l : logits) max = std::max(max, l);
  if (std::isinf(max)) return max;  // all masked (or an infinite logit): no finite sum
  double sum = 0.0;
  for (float l : logits) sum += std::exp(l - max);
  return max + static_cast<float>(std::log(sum));
}

}  // namespace

LogSoftmax::LogSoftmax(std::span<const float> logits) : logits_(logits), log_normaliser_(log_sum_exp(logits)) {}

float LogSoftmax::logprob(int32_t token) const {
  assert(token >= 0 && static_cast<size_t>(token) < logits_.size());
  return logits_[static_cast<size_t>(token)] - log_normaliser_;
}

std::vector<TokenLogprob> LogSoftmax::top(int k) const {
  std::vector<Candidate> best;
  select_top(logits_, static_cast<size_t>(std::max(k, 0)), best);
  std::vector<TokenLogprob> out;
  out.reserve(best.size());
  for (const Candidate& c : best) out.push_back({c.id, c.logit - log_normaliser_});
  return out;
}

std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, int k) { return LogSoftmax(logits).top(k); }

}  // namespace rocmforge::engine
