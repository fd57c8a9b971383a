// The candidate tokens of one sampling step, and the truncations that narrow
// them (top-k, top-p, min-p) with llama.cpp's semantics.
//
// Candidates are ranked by logit, descending, ties by ascending id: a strict total
// order, so every truncation keeps the same set on any standard library
// (std::sort with a mere `a.logit > b.logit` leaves ties in an unspecified order).
// Nothing is ever sorted beyond what a filter needs: top-k selects with a bounded
// heap in one pass and ranks only its k tokens; without top-k the candidates stay
// in id order and top-p / min-p find their cut in linear time, so even a flat
// distribution over 150k tokens costs a few passes rather than a sort.
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

  // Every token, in id order.
  void select_all(std::span<const float> logits, std::span<const Candidate> overrides);
  // The k best tokens after the overrides, in rank order.
  void select_top_k(std::span<const float> logits, size_t k, std::span<const Candidate> overrides);
  // Tokens chosen elsewhere (sampling by candidates: the same tokens select_*
  // and filters would have left), given in rank order: kept in it when
  // `ranked`, as select_top_k leaves them, else put in id order, as select_all.
  void assign(std::span<const Candidate> ranked_items, bool ranked);

  // Keeps the smallest set of best-ranked tokens whose probability mass (softmax
  // over the current candidates) reaches p, and at least min_keep. p >= 1: no-op.
  void keep_top_p(float p, size_t min_keep);
  // Keeps the tokens whose probability is at least p times the best one's, and
  // at least min_keep tokens. p <= 0: no-op.
  void keep_min_p(float p, size_t min_keep);

  // In rank order after select_top_k, in id order after select_all (filters keep
  // the order): either way an order fixed by the values alone.
  std::span<const Candidate> view() const { return items_; }

 private:
  void keep_top_p_unranked(double p, size_t min_keep, float max);
  // Keeps the n best candidates, in their current order.
  void keep_best(size_t n);
  // Keeps `boundary` and whatever ranks before it, in the current order.
  void keep_up_to(const Candidate& boundary);
  float max_logit() const;

  std::vector<Candidate> items_;
  bool ranked_ = false;
  // Scratch reused from call to call.
  std::vector<Candidate> scratch_;
  std::vector<double> bucket_mass_;
  std::vector<size_t> bucket_count_;
};

}  // namespace rocmforge::engine
