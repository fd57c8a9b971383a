#include "engine/step_pacer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rocmforge::engine {
namespace {

// Weight of the newest step in the averages: a few steps follow a change of
// load (sequences starting or finishing) without one slow step (a graph
// being recorded) swinging the budget.
constexpr double kNewest = 0.25;

void update(std::optional<double>& average, double sample) {
  average = average ? (1.0 - kNewest) * *average + kNewest * sample : sample;
}

}  // namespace

int64_t StepPacer::prompt_budget() const {
  if (target_s_ <= 0.0 || !per_token_s_ || *per_token_s_ <= 0.0) return std::numeric_limits<int64_t>::max();
  const double room = target_s_ - decode_s_.value_or(0.0);
  const double tokens = std::floor(room / *per_token_s_);
  if (!(tokens > static_cast<double>(kMinPromptTokens))) return kMinPromptTokens;
  return tokens >= 1e15 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(tokens);
}

void StepPacer::observe(int64_t n_decode, int64_t n_prompt, double seconds) {
  if (!(seconds >= 0.0)) return;
  if (n_prompt == 0) {
    if (n_decode > 0) update(decode_s_, seconds);
    return;
  }
  // A few prompt tokens say little about the cost of a token beside the step's fixed part.
  if (n_prompt < kMinPromptTokens) return;
  const double base = n_decode > 0 ? decode_s_.value_or(0.0) : 0.0;
  update(per_token_s_, std::max(seconds - base, 0.0) / static_cast<double>(n_prompt));
}

}  // namespace rocmforge::engine
