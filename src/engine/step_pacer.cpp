#include "engine/step_pacer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rocmforge::engine {

void StepPacer::Recent::add(double v) {
  values_[n_ % kSamples] = v;
  ++n_;
}

std::optional<double> StepPacer::Recent::median() const {
  if (n_ == 0) return std::nullopt;
  const size_t n = std::min(n_, kSamples);
  std::array<double, kSamples> sorted = values_;
  std::sort(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(n));
  return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
}

int64_t StepPacer::prompt_budget() const {
  const std::optional<double> per_token = per_token_s_.median();
  if (target_s_ <= 0.0 || !per_token || *per_token <= 0.0) return std::numeric_limits<int64_t>::max();
  const double room = target_s_ - decode_s_.median().value_or(0.0);
  const double tokens = std::floor(room / *per_token);
  if (!(tokens > static_cast<double>(kMinPromptTokens))) return kMinPromptTokens;
  return tokens >= 1e15 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(tokens);
}

void StepPacer::observe(int64_t n_decode, int64_t n_prompt, double seconds) {
  if (!(seconds >= 0.0)) return;
  if (n_prompt == 0) {
    if (n_decode > 0) decode_s_.add(seconds);
    return;
  }
  // A few prompt tokens say little about the cost of a token beside the step's fixed part.
  if (n_prompt < kMinPromptTokens) return;
  const double base = n_decode > 0 ? decode_s_.median().value_or(0.0) : 0.0;
  per_token_s_.add(std::max(seconds - base, 0.0) / static_cast<double>(n_prompt));
}

}  // namespace rocmforge::engine
