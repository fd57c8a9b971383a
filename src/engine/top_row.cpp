#include "engine/top_row.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace rocmforge::engine {

TopRow top_row(std::span<const float> values, std::span<const int32_t> ids, float sum, int32_t n_vocab,
               std::vector<Candidate>& storage) {
  storage.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) storage[i] = {values[i], ids[i]};
  return {storage, sum, n_vocab};
}

void TopRowRanking::assign(const TopRow& row, const Penalties& penalties) {
  assert(!row.best.empty() && !row.whole());
  assert(!penalties.active() || penalties.only_lowers());
  row_ = row;
  ranked_.assign(row.best.begin(), row.best.end());
  n_unseen_penalised_ = 0;
  if (penalties.active()) {
    size_t n_seen = 0;
    for (Candidate& c : ranked_) {
      if (penalties.count(c.id) == 0) continue;
      c.logit = penalties.apply(c.id, c.logit);
      ++n_seen;
    }
    std::sort(ranked_.begin(), ranked_.end(), ranks_before);
    n_unseen_penalised_ = penalties.n_distinct() - n_seen;
  }
  // An unseen token ranks after the bound as it came, and penalties only lower it.
  const Candidate& bound = row.best.back();
  n_leaders_ = static_cast<size_t>(
      std::find_if(ranked_.begin(), ranked_.end(), [&](const Candidate& c) { return ranks_before(bound, c); }) -
      ranked_.begin());
}

std::optional<size_t> TopRowRanking::top_p_count(float p, size_t min_keep) const {
  const float max = row_.best.front().logit;        // the raw row's, the device's sum is relative to it
  const float max_penalised = ranked_.front().logit;  // the penalised row's, as the host's sampler sums
  // Each term as Candidates::keep_top_p computes it: a float exp, summed in double.
  double seen_penalised = 0.0;
  for (const Candidate& c : ranked_) seen_penalised += std::exp(c.logit - max_penalised);
  double seen_raw = 0.0;
  for (const Candidate& c : row_.best) seen_raw += std::exp(c.logit - max);
  const double sum = row_.sum;
  const double slack = kSumTolerance * sum;
  const double unseen = sum - seen_raw;
  // Penalties take at most each unseen window token's raw weight, itself at most the bound's.
  const double unseen_penalty = static_cast<double>(n_unseen_penalised_) * std::exp(row_.best.back().logit - max);
  const double scale = std::exp(static_cast<double>(max) - static_cast<double>(max_penalised));
  const double total_lo = seen_penalised + scale * std::max(0.0, unseen - slack - unseen_penalty);
  const double total_hi = seen_penalised + scale * (unseen + slack);

  const auto cut = [&](double total) -> std::optional<size_t> {
    const double target = static_cast<double>(p) * total;
    double mass = 0.0;
    for (size_t i = 0; i < n_leaders_; ++i) {
      mass += std::exp(ranked_[i].logit - max_penalised);
      if (mass >= target && i + 1 >= min_keep) return i + 1;
    }
    return std::nullopt;
  };
  const std::optional<size_t> at_hi = cut(total_hi);
  if (!at_hi || cut(total_lo) != at_hi) return std::nullopt;
  return at_hi;
}

}  // namespace rocmforge::engine
