#include "engine/candidates.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rocmforge::engine {
namespace {

// top-p over unranked candidates buckets them by distance below the best logit.
// A bucket is 1/32 of a logit wide, so the one holding the cut is small; logits
// more than 32 below the best (weight < 1e-14 each) share the last bucket.
constexpr size_t kBuckets = 1024;
constexpr float kBucketsPerLogit = 32.0f;

size_t bucket_of(float logit, float max) {
  const float distance = (max - logit) * kBucketsPerLogit;  // >= 0; +inf for a masked token
  return distance < static_cast<float>(kBuckets - 1) ? static_cast<size_t>(distance) : kBuckets - 1;
}

// A NaN logit would break the strict ordering every algorithm here relies on.
float rank_value(float logit) { return std::isnan(logit) ? -std::numeric_limits<float>::infinity() : logit; }

bool overridden(std::span<const Candidate> overrides, int32_t id) {
  return std::binary_search(overrides.begin(), overrides.end(), Candidate{0.0f, id},
                            [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
}

}  // namespace

void select_top(std::span<const float> logits, size_t k, std::vector<Candidate>& out) {
  out.clear();
  k = std::min(k, logits.size());
  if (k == 0) return;
  for (size_t i = 0; i < k; ++i) out.push_back({rank_value(logits[i]), static_cast<int32_t>(i)});
  // A heap whose front is the worst token kept so far.
  std::make_heap(out.begin(), out.end(), ranks_before);
  float threshold = out.front().logit;
  for (size_t i = k; i < logits.size(); ++i) {
    // A later id loses ties, so only a strictly greater logit displaces the worst.
    if (logits[i] > threshold) {
      std::pop_heap(out.begin(), out.end(), ranks_before);
      out.back() = {logits[i], static_cast<int32_t>(i)};
      std::push_heap(out.begin(), out.end(), ranks_before);
      threshold = out.front().logit;
    }
  }
  std::sort_heap(out.begin(), out.end(), ranks_before);
}

void Candidates::select_all(std::span<const float> logits, std::span<const Candidate> overrides) {
  items_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) items_[i] = {rank_value(logits[i]), static_cast<int32_t>(i)};
  for (const Candidate& o : overrides) items_[static_cast<size_t>(o.id)].logit = rank_value(o.logit);
  ranked_ = false;
}

void Candidates::select_top_k(std::span<const float> logits, size_t k, std::span<const Candidate> overrides) {
  // The k best after the overrides are among the k + n_overrides best before
  // them plus the overridden tokens themselves: no full pass over a patched copy.
  select_top(logits, k + overrides.size(), items_);
  if (!overrides.empty()) {
    std::erase_if(items_, [&](const Candidate& c) { return overridden(overrides, c.id); });
    for (const Candidate& o : overrides) items_.push_back({rank_value(o.logit), o.id});
    const size_t n = std::min(k, items_.size());
    std::partial_sort(items_.begin(), items_.begin() + static_cast<ptrdiff_t>(n), items_.end(), ranks_before);
    items_.resize(n);
  }
  ranked_ = true;
}

void Candidates::assign(std::span<const Candidate> ranked_items, bool ranked) {
  items_.assign(ranked_items.begin(), ranked_items.end());
  if (!ranked) std::sort(items_.begin(), items_.end(), [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
  ranked_ = ranked;
}

void Candidates::keep_top_p(float p, size_t min_keep) {
  if (p >= 1.0f || items_.size() <= 1) return;
  const float max = max_logit();
  if (std::isinf(max)) return;  // every token masked: there is no mass to measure
  if (!ranked_) {
    keep_top_p_unranked(p, min_keep, max);
    return;
  }
  double total = 0.0;
  for (const Candidate& c : items_) total += std::exp(c.logit - max);
  const double target = static_cast<double>(p) * total;
  double mass = 0.0;
  for (size_t i = 0; i < items_.size(); ++i) {
    mass += std::exp(items_[i].logit - max);
    if (mass >= target && i + 1 >= min_keep) {
      items_.resize(i + 1);
      return;
    }
  }
}

// Finds the bucket where the running mass (buckets taken best first) reaches the
// target, then ranks only that bucket's tokens to place the cut exactly.
void Candidates::keep_top_p_unranked(double p, size_t min_keep, float max) {
  bucket_mass_.assign(kBuckets, 0.0);
  bucket_count_.assign(kBuckets, 0);
  for (const Candidate& c : items_) {
    const size_t b = bucket_of(c.logit, max);
    bucket_mass_[b] += std::exp(c.logit - max);
    ++bucket_count_[b];
  }
  double total = 0.0;
  for (double m : bucket_mass_) total += m;
  const double target = p * total;

  double mass = 0.0;
  size_t seen = 0;
  size_t cut = 0;
  while (cut < kBuckets && !(mass + bucket_mass_[cut] >= target && seen + bucket_count_[cut] >= min_keep)) {
    mass += bucket_mass_[cut];
    seen += bucket_count_[cut];
    ++cut;
  }
  if (cut == kBuckets) return;  // min_keep exceeds the candidates: keep them all

  scratch_.clear();
  for (const Candidate& c : items_) {
    if (bucket_of(c.logit, max) == cut) scratch_.push_back(c);
  }
  std::sort(scratch_.begin(), scratch_.end(), ranks_before);
  for (const Candidate& c : scratch_) {
    mass += std::exp(c.logit - max);
    ++seen;
    if (mass >= target && seen >= min_keep) {
      keep_up_to(c);
      return;
    }
  }
  keep_up_to(scratch_.back());  // summed in another order, the bucket fell a rounding short
}

void Candidates::keep_min_p(float p, size_t min_keep) {
  if (p <= 0.0f || items_.empty()) return;
  // p_i >= p * p_max  <=>  logit_i >= max + log(p): no softmax needed.
  const float min_logit = max_logit() + std::log(p);
  const auto n_above = static_cast<size_t>(
      std::count_if(items_.begin(), items_.end(), [&](const Candidate& c) { return c.logit >= min_logit; }));
  if (n_above >= min_keep) {
    std::erase_if(items_, [&](const Candidate& c) { return c.logit < min_logit; });
  } else {
    keep_best(min_keep);
  }
}

void Candidates::keep_best(size_t n) {
  if (n >= items_.size()) return;
  if (ranked_) {
    items_.resize(n);
    return;
  }
  scratch_.assign(items_.begin(), items_.end());
  const auto nth = scratch_.begin() + static_cast<ptrdiff_t>(n - 1);
  std::nth_element(scratch_.begin(), nth, scratch_.end(), ranks_before);
  keep_up_to(*nth);
}

void Candidates::keep_up_to(const Candidate& boundary) {
  // Candidates are unique in the total order, so this keeps an exact count.
  std::erase_if(items_, [&](const Candidate& c) { return ranks_before(boundary, c); });
}

float Candidates::max_logit() const {
  if (ranked_ && !items_.empty()) return items_.front().logit;
  float max = -std::numeric_limits<float>::infinity();
  for (const Candidate& c : items_) max = std::max(max, c.logit);
  return max;
}

}  // namespace rocmforge::engine
