// The candidate tokens of one sampling step, and the truncations that narrow
// them (top-k, top-p, min-p) with llama.cpp's semantics.
//
// Candidates are ranked by logit, descending, ties by ascending id: a strict total
// order, so every truncation and every draw is the same on any standard library
// (std::sort with a mere `a.logit > b.logit` leaves ties in an unspecified order).
// Only as much of the vocabulary is sorted as a filter needs: top-k selects with
// a bounded heap in one pass, top-p and min-p sort a growing prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rocmforge::engine {

struct Candidate {
  float logit;
  int32_t id;
};

inline bool ranks_before(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

// Writes the min(k, logits.size()) best-ranked tokens of `logits` into `out`,
// best first. One pass; NaN logits rank as -inf.
void select_top(std::span<const float> logits, size_t k, std::vector<Candidate>& out);

class Candidates {
 public:
  // `overrides` below: replacement logits for a few tokens (penalties), sorted by id.

  // Every token, in id order (nothing sorted yet).
  void select_all(std::span<const float> logits, std::span<const Candidate> overrides);
  // The k best tokens after the overrides, in rank order.
  void select_top_k(std::span<const float> logits, size_t k, std::span<const Candidate> overrides);

  // Keeps the smallest best-ranked prefix whose probability mass (softmax over
  // the current candidates) reaches p, and at least min_keep tokens. p >= 1: no-op.
  void keep_top_p(float p, size_t min_keep);
  // Keeps the tokens whose probability is at least p times the best one's, and
  // at least min_keep tokens. p <= 0: no-op.
  void keep_min_p(float p, size_t min_keep);

  // The candidates in an order that depends only on their values: rank order, or
  // id order when nothing was ever sorted (drawing needs no sort then).
  std::span<const Candidate> view();
  size_t size() const { return items_.size(); }

 private:
  // Ranks the first n items (the rest stay after them, in unspecified order).
  void sort_prefix(size_t n);
  void truncate(size_t n);
  float max_logit() const;

  std::vector<Candidate> items_;
  size_t n_sorted_ = 0;
  bool in_id_order_ = true;
};

}  // namespace rocmforge::engine
