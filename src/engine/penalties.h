// Repetition, frequency and presence penalties over the last N accepted tokens,
// with llama.cpp's formula: for a token seen `count` times in the window,
//   logit = logit <= 0 ? logit * repeat : logit / repeat
//   logit -= count * frequency + presence
// (multiplying negative logits, so that a penalty never makes a token likelier).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/candidates.h"

namespace rocmforge::engine {

class Penalties {
 public:
  // window: how many recent tokens count (0: none, penalties off).
  Penalties(int32_t window, float repeat, float frequency, float presence);

  // False when nothing would change a logit; accept() then records nothing.
  bool active() const;
  // Whether no penalty can raise a logit (repeat >= 1, frequency and presence
  // >= 0): a token outside a row's best candidates then stays outside them.
  bool only_lowers() const;

  // Records a token (prompt or generated) as the newest of the window.
  void accept(int32_t token);
  void clear();

  // How often `token` occurs in the window.
  int32_t count(int32_t token) const;
  // How many distinct tokens the window holds.
  size_t n_distinct() const { return counts_.size(); }
  // `logit` penalised as `token`'s (unchanged for a token outside the window).
  float apply(int32_t token, float logit) const;

  // The penalised logits of the tokens in the window, sorted by id, into `out`.
  void penalised(std::span<const float> logits, std::vector<Candidate>& out) const;

 private:
  struct TokenCount {
    int32_t token;
    int32_t count;
  };
  float penalise(float logit, int32_t count) const;

  int32_t window_;
  float repeat_;
  float frequency_;
  float presence_;
  // The window as a ring buffer that grows on demand up to `window_` entries:
  // a window of the whole context (-1) costs memory only as tokens arrive.
  std::vector<int32_t> recent_;
  size_t oldest_ = 0;
  // Distinct tokens of the window, sorted by id: a window holds few distinct
  // tokens, and a vocabulary-sized table per sequence would cost more.
  std::vector<TokenCount> counts_;
};

}  // namespace rocmforge::engine
