// Keeps the steps that running decodes wait on under a time target: every
// such sequence's next token waits for the whole step, so a step that also
// carries thousands of prompt tokens is one long gap in each stream (on the
// H200, a 2048-token prompt step stalled 64 streams for 200 ms). The pacer
// learns what a step costs from the steps it has seen, the time of a step
// of decodes alone and the time per prompt token beyond it, and caps the
// prompt tokens of a step with decodes so the step fits the target. Steps
// without decodes keep the whole token budget: no stream waits on them.
// Each estimate is the median of the last few samples: one slow step (the
// first of a process, a graph being recorded) does not hold the budget
// down for the many steps an average would take to forget it.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>

namespace rocmforge::engine {

class StepPacer {
 public:
  // target zero: no cap.
  explicit StepPacer(std::chrono::duration<double> target) : target_s_(target.count()) {}

  // Prompt tokens the next step may take beside its decodes: unbounded
  // (INT64_MAX) without a target or before a prompt step has been timed;
  // never below kMinPromptTokens, so prompts always progress.
  int64_t prompt_budget() const;

  // A finished step: its decode tokens, its prompt tokens, its wall time.
  void observe(int64_t n_decode, int64_t n_prompt, double seconds);

  static constexpr int64_t kMinPromptTokens = 32;

 private:
  // The last kSamples values of one estimate, and their median.
  class Recent {
   public:
    void add(double v);
    std::optional<double> median() const;

   private:
    static constexpr size_t kSamples = 5;
    std::array<double, kSamples> values_{};
    size_t n_ = 0;  // values added, all time
  };

  double target_s_;
  Recent decode_s_;     // a step of decodes alone
  Recent per_token_s_;  // each prompt token's share of a step beyond that
};

}  // namespace rocmforge::engine
