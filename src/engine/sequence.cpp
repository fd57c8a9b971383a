#include "engine/sequence.h"

#include <cassert>

#include "engine/logprobs.h"

namespace rocmforge::engine {
namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

void observe(const TimingObserver& observer, TimingKind kind, double s) {
  if (observer) observer({kind, s});
}

}  // namespace

Sequence::Sequence(uint64_t serial_id, Request request, Sampler sampler, int64_t max_new,
                   const tokenizer::Tokenizer& tokenizer, std::shared_ptr<EventChannel> channel,
                   Clock::time_point submitted)
    : id_(std::move(request.id)),
      ignore_eos_(request.ignore_eos),
      logprobs_(request.logprobs),
      top_logprobs_(request.top_logprobs),
      max_new_(max_new),
      sampler_(std::move(sampler)),
      tokenizer_(tokenizer),
      // The output continues the prompt's text: its first leading space is kept.
      detokenizer_(tokenizer, {.render_special = false, .continues_text = true}),
      stop_(std::move(request.stop)),
      channel_(std::move(channel)),
      submitted_(submitted) {
  serial = serial_id;
  n_prompt = static_cast<int64_t>(request.prompt.size());
  tokens = std::move(request.prompt);
}

void Sequence::on_started(Clock::time_point now, const TimingObserver& observer) {
  first_run_ = now;
  observe(observer, TimingKind::kQueue, seconds(now - submitted_));
}

void Sequence::record_token_time(Clock::time_point now, const TimingObserver& observer) {
  if (last_token_) {
    observe(observer, TimingKind::kInterToken, seconds(now - *last_token_));
  } else {
    time_to_first_token_ = seconds(now - submitted_);
    observe(observer, TimingKind::kTimeToFirstToken, *time_to_first_token_);
  }
  last_token_ = now;
}

GeneratedToken Sequence::draw(std::span<const float> logits) {
  GeneratedToken drawn{sampler_.sample(logits), std::nullopt, {}};
  if (logprobs_) {
    const LogSoftmax softmax(logits);
    drawn.logprob = softmax.logprob(drawn.id);
    if (top_logprobs_ > 0) drawn.top_logprobs = softmax.top(top_logprobs_);
  }
  return drawn;
}

std::optional<GeneratedToken> Sequence::draw_from_top(std::span<const float> values, std::span<const int32_t> ids,
                                                      float sum) {
  assert(!logprobs_ && values.size() == ids.size());
  const std::optional<int32_t> id = sampler_.sample_from_top(top_row(values, ids, sum, sampler_.n_vocab(), best_));
  if (!id) return std::nullopt;
  return GeneratedToken{*id, std::nullopt, {}};
}

GeneratedToken Sequence::draw_argmax(int32_t id) const {
  assert(draws_argmax());
  return {id, std::nullopt, {}};
}

std::optional<FinishReason> Sequence::on_token(GeneratedToken drawn, Clock::time_point now, const TimingObserver& observer) {
  const int32_t token = drawn.id;
  ++n_generated_;
  record_token_time(now, observer);
  if (!ignore_eos_ && tokenizer_.is_eog(token)) {
    return complete(FinishReason::kStop, std::nullopt, now, observer);
  }
  if (const Status accepted = sampler_.accept(token); !accepted) {
    finish(FinishReason::kError, accepted.error(), now, observer);
    return FinishReason::kError;
  }
  tokens.push_back(token);

  Event event;
  event.token = std::move(drawn);
  StopMatcher::Output out = stop_.push(detokenizer_.push(token));
  event.text = std::move(out.text);
  channel_->push(std::move(event));
  if (out.matched) {
    return complete(FinishReason::kStop, std::move(out.matched), now, observer);
  }
  if (n_generated_ >= max_new_) return complete(FinishReason::kLength, std::nullopt, now, observer);
  return std::nullopt;
}

FinishReason Sequence::complete(FinishReason reason, std::optional<std::string> stop_string, Clock::time_point now,
                        const TimingObserver& observer) {
  std::string text;
  if (!stop_string) {
    // What the detokenizer and the stop strings held back; a stop string may still complete in it.
    StopMatcher::Output out = stop_.push(detokenizer_.flush());
    text = std::move(out.text);
    if (out.matched) {
      reason = FinishReason::kStop;
      stop_string = std::move(out.matched);
    } else {
      text += stop_.flush();
    }
  }
  Finish f;
  f.reason = reason;
  f.stop_string = std::move(stop_string);
  send_finish(std::move(text), std::move(f), now, observer);
  return reason;
}

void Sequence::finish(FinishReason reason, std::optional<Error> error, Clock::time_point now,
                      const TimingObserver& observer) {
  Finish f;
  f.reason = reason;
  f.error = std::move(error);
  send_finish({}, std::move(f), now, observer);
}

void Sequence::send_finish(std::string text, Finish finish, Clock::time_point now, const TimingObserver& observer) {
  transition(state, RequestState::kFinished);
  finish.usage = {n_prompt, n_generated_, n_cached_prompt};
  finish.timings.queue_s = seconds((first_run_ ? *first_run_ : now) - submitted_);
  finish.timings.time_to_first_token_s = time_to_first_token_;
  finish.timings.end_to_end_s = seconds(now - submitted_);
  observe(observer, TimingKind::kEndToEnd, finish.timings.end_to_end_s);
  channel_->push(Event{std::move(text), std::nullopt, std::move(finish)});
}

}  // namespace rocmforge::engine
