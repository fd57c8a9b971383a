#include "engine/candidates.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace rocmforge::engine {
namespace {

// top-p sorts this many candidates first, then doubles: most of the mass of a
// real distribution sits in its first few dozen tokens.
constexpr size_t kFirstSortedChunk = 64;

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
  n_sorted_ = 0;
  in_id_order_ = true;
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
  n_sorted_ = items_.size();
  in_id_order_ = false;
}

void Candidates::keep_top_p(float p, size_t min_keep) {
  if (p >= 1.0f || items_.size() <= 1) return;
  const float max = max_logit();
  if (std::isinf(max)) return;  // every token masked: there is no mass to measure
  double total = 0.0;
  for (const Candidate& c : items_) total += std::exp(c.logit - max);
  const double target = static_cast<double>(p) * total;
  double mass = 0.0;
  for (size_t i = 0; i < items_.size(); ++i) {
    if (i == n_sorted_) sort_prefix(std::max(2 * n_sorted_, kFirstSortedChunk));
    mass += std::exp(items_[i].logit - max);
    if (mass >= target && i + 1 >= min_keep) {
      truncate(i + 1);
      return;
    }
  }
}

void Candidates::keep_min_p(float p, size_t min_keep) {
  if (p <= 0.0f || items_.empty()) return;
  // p_i >= p * p_max  <=>  logit_i >= max + log(p): no softmax needed.
  const float min_logit = max_logit() + std::log(p);
  const auto n_above = static_cast<size_t>(
      std::count_if(items_.begin(), items_.end(), [&](const Candidate& c) { return c.logit >= min_logit; }));
  const size_t n = std::min(std::max(n_above, min_keep), items_.size());
  if (n == items_.size()) return;
  sort_prefix(n);
  truncate(n);
}

std::span<const Candidate> Candidates::view() {
  if (!in_id_order_) sort_prefix(items_.size());
  return items_;
}

void Candidates::sort_prefix(size_t n) {
  n = std::min(n, items_.size());
  if (n <= n_sorted_) return;
  // Everything before n_sorted_ already ranks before everything after it.
  std::partial_sort(items_.begin() + static_cast<ptrdiff_t>(n_sorted_), items_.begin() + static_cast<ptrdiff_t>(n),
                    items_.end(), ranks_before);
  n_sorted_ = n;
  in_id_order_ = false;
}

void Candidates::truncate(size_t n) {
  assert(n <= n_sorted_);
  items_.resize(n);
  n_sorted_ = n;
}

float Candidates::max_logit() const {
  if (n_sorted_ > 0) return items_.front().logit;
  float max = -std::numeric_limits<float>::infinity();
  for (const Candidate& c : items_) max = std::max(max, c.logit);
  return max;
}

}  // namespace rocmforge::engine
