// One request inside the engine: what the scheduler sees (SequenceState) and
// what turns its logits into output: its own seeded sampler, the incremental
// detokenizer, stop strings, the limits, log-probabilities and timings, and
// the channel its events go to. Touched by the engine thread only, once
// submit() has built it.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/engine_stats.h"
#include "engine/event_channel.h"
#include "engine/request.h"
#include "engine/sampler.h"
#include "engine/scheduler.h"
#include "engine/stop_matcher.h"
#include "tokenizer/incremental_detokenizer.h"

namespace rocmforge::engine {

using Clock = std::chrono::steady_clock;

class Sequence final : public SequenceState {
 public:
  // `request` must be valid (Engine::submit checks it); `max_new` is the
  // number of tokens it may generate, max_tokens and the context considered.
  Sequence(uint64_t serial, Request request, Sampler sampler, int64_t max_new, const tokenizer::Tokenizer& tokenizer,
           std::shared_ptr<EventChannel> channel, Clock::time_point submitted);

  const std::string& id() const { return id_; }
  int64_t n_generated() const { return n_generated_; }

  // Draws the next token from the step's logits for this sequence, with its
  // log-probabilities when the request asked for them. Touches this
  // sequence's sampler only: several sequences may draw at once.
  GeneratedToken draw(std::span<const float> logits);
  // Whether draw() would read nothing of the logits but their argmax (a
  // greedy sampler, no log-probabilities): a step may then hand this sequence
  // only that id, through draw_argmax().
  bool draws_argmax() const { return !logprobs_ && sampler_.picks_argmax(); }
  GeneratedToken draw_argmax(int32_t id) const;
  // Whether draw_from_top() may settle this sequence's draws from k
  // candidates per row (no log-probabilities: they read the whole row).
  bool draws_from_top(size_t k) const { return !logprobs_ && sampler_.may_sample_from_top(k); }
  // draw() from a row's best k logits (values, ids: Backend::top_k's row,
  // best first) and its normaliser, when they settle it; nullopt, and nothing
  // changed, when the whole row is needed.
  std::optional<GeneratedToken> draw_from_top(std::span<const float> values, std::span<const int32_t> ids, float sum);
  // Takes the drawn token and streams it. Returns why the request finished,
  // if it did (the finish event is sent).
  std::optional<FinishReason> on_token(GeneratedToken token, Clock::time_point now, const TimingObserver& observer);
  // Ends the stream for a reason other than sampling (cancel, error).
  void finish(FinishReason reason, std::optional<Error> error, Clock::time_point now,
              const TimingObserver& observer);
  // The request ran for the first time (its queue time ends).
  void on_started(Clock::time_point now, const TimingObserver& observer);

 private:
  FinishReason complete(FinishReason reason, std::optional<std::string> stop_string, Clock::time_point now,
                const TimingObserver& observer);
  void send_finish(std::string text, Finish finish, Clock::time_point now, const TimingObserver& observer);
  void record_token_time(Clock::time_point now, const TimingObserver& observer);

  std::string id_;
  bool ignore_eos_;
  bool logprobs_;
  int32_t top_logprobs_;
  int64_t max_new_;
  int64_t n_generated_ = 0;
  Sampler sampler_;
  std::vector<Candidate> best_;  // draw_from_top's row, reused
  const tokenizer::Tokenizer& tokenizer_;
  tokenizer::IncrementalDetokenizer detokenizer_;
  StopMatcher stop_;
  std::shared_ptr<EventChannel> channel_;
  Clock::time_point submitted_;
  std::optional<Clock::time_point> first_run_;
  std::optional<Clock::time_point> last_token_;
  std::optional<double> time_to_first_token_;
};

}  // namespace rocmforge::engine
