#include "engine/penalties.h"

#include <algorithm>
#include <cassert>

namespace rocmforge::engine {
namespace {

// The entry of `token` in a by-token sorted count table, or where it would go.
template <class Counts>
auto lower_bound_token(Counts& counts, int32_t token) {
  return std::lower_bound(counts.begin(), counts.end(), token,
                          [](const auto& tc, int32_t t) { return tc.token < t; });
}

}  // namespace

Penalties::Penalties(int32_t window, float repeat, float frequency, float presence)
    : window_(std::max(window, 0)), repeat_(repeat), frequency_(frequency), presence_(presence) {}

bool Penalties::active() const {
  return window_ > 0 && (repeat_ != 1.0f || frequency_ != 0.0f || presence_ != 0.0f);
}

bool Penalties::only_lowers() const { return repeat_ >= 1.0f && frequency_ >= 0.0f && presence_ >= 0.0f; }

void Penalties::accept(int32_t token) {
  if (!active()) return;
  if (recent_.size() < static_cast<size_t>(window_)) {
    recent_.push_back(token);
  } else {
    const auto evicted = lower_bound_token(counts_, recent_[oldest_]);
    assert(evicted != counts_.end() && evicted->count > 0);
    if (--evicted->count == 0) counts_.erase(evicted);
    recent_[oldest_] = token;
    oldest_ = (oldest_ + 1) % recent_.size();
  }
  const auto it = lower_bound_token(counts_, token);
  if (it != counts_.end() && it->token == token) {
    ++it->count;
  } else {
    counts_.insert(it, {token, 1});
  }
}

void Penalties::clear() {
  recent_.clear();
  oldest_ = 0;
  counts_.clear();
}

int32_t Penalties::count(int32_t token) const {
  const auto it = lower_bound_token(counts_, token);
  return it != counts_.end() && it->token == token ? it->count : 0;
}

float Penalties::apply(int32_t token, float logit) const {
  const int32_t n = count(token);
  return n > 0 ? penalise(logit, n) : logit;
}

float Penalties::penalise(float logit, int32_t n) const {
  logit = logit <= 0.0f ? logit * repeat_ : logit / repeat_;
  return logit - (static_cast<float>(n) * frequency_ + presence_);
}

void Penalties::penalised(std::span<const float> logits, std::vector<Candidate>& out) const {
  out.clear();
  for (const TokenCount& tc : counts_) out.push_back({penalise(logits[static_cast<size_t>(tc.token)], tc.count), tc.token});
}

}  // namespace rocmforge::engine
