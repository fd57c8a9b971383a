// Sampling by candidates: what a row's k best logits and its softmax
// normaliser (Backend::top_k, computed where the logits are) prove about the
// whole row, so that the sampler can finish a draw without the row, exactly
// as it would with it, or say that they are not enough.
//
// What the k best prove, when they are fewer than the vocabulary:
// - Every other token ranks after the k-th ("the bound"). Penalties that only
//   lower logits (Penalties::only_lowers) keep it there, so the penalised
//   candidates that still rank before the bound are the head of the whole
//   penalised ranking ("leaders"); a penalised candidate that fell past the
//   bound may interleave with unseen tokens, and is no leader.
// - top-k (k <= leaders) and min-p whose threshold lies above the bound keep
//   leaders only: their sets are exact.
// - top-p over the whole row needs the row's mass. The device's sum gives the
//   mass outside the candidates, up to two uncertainties: rounding (the
//   device's exp and summation order differ from the host's; kSumTolerance
//   bounds it, far above the ~1e-6 relative difference expected), and the
//   unseen tokens of the penalty window, whose penalised mass lies anywhere
//   between zero and their raw mass (each at most the bound's weight). The
//   cut is taken only when it is the same at both ends of that interval, so
//   it is the host's cut unless the device's sum is off by more than the
//   tolerance.
//
// Penalised tokens need no logits but the candidates': the host knows which
// window tokens are candidates and what their penalised logits are, and
// bounds the others. Gathering the window's raw logits on the device instead
// would need each sequence's window (up to the context with repeat_last_n -1)
// uploaded into a step that decode replays as a fixed-size graph; penalties
// that may raise a logit (repeat < 1, negative frequency or presence) take the
// whole row instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/candidates.h"
#include "engine/penalties.h"

namespace rocmforge::engine {

// One row of Backend::top_k's result.
struct TopRow {
  std::span<const Candidate> best;  // the row's k best raw logits (NaN as -inf), best first; k >= 1
  float sum;                        // over the whole row: exp(logit - best[0].logit), NaN adding nothing
  int32_t n_vocab;

  // The candidates are every token: the row itself, in another order.
  bool whole() const { return best.size() == static_cast<size_t>(n_vocab); }
};

// A row of Backend::top_k's result, whose values and ids come apart, as a
// TopRow over `storage` (valid while storage is).
TopRow top_row(std::span<const float> values, std::span<const int32_t> ids, float sum, int32_t n_vocab,
               std::vector<Candidate>& storage);

class TopRowRanking {
 public:
  // The most by which the device's sum may differ from the host's, relative.
  static constexpr double kSumTolerance = 1e-5;

  // `row` must not be whole(); penalties, when active, must only lower logits.
  void assign(const TopRow& row, const Penalties& penalties);

  // The best tokens of the whole penalised row, with penalised logits, best
  // first: every other token ranks after them. May be empty.
  std::span<const Candidate> leaders() const { return std::span(ranked_).first(n_leaders_); }

  // How many leaders top-p (p < 1, min_keep) keeps over the whole penalised
  // row (Candidates::keep_top_p before any top-k); nullopt when the cut lies
  // past the leaders or the sum's uncertainty leaves it open. Needs finite
  // best[0] and leaders()[0].
  std::optional<size_t> top_p_count(float p, size_t min_keep) const;

  // Whether every token of the whole penalised row whose logit is at least
  // min_logit is a leader (min-p keeps leaders only).
  bool leads_all_above(float min_logit) const { return row_.best.back().logit < min_logit; }

 private:
  TopRow row_{};
  std::vector<Candidate> ranked_;  // every candidate, penalised, in rank order
  size_t n_leaders_ = 0;
  size_t n_unseen_penalised_ = 0;  // window tokens that are not candidates
};

}  // namespace rocmforge::engine
