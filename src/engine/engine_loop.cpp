#include "engine/engine_loop.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace rocmforge::engine {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

// Only the argmax when every sequence sampled this step draws nothing else:
// one id per row crosses from the device instead of a row of logits. Else
// only the best candidates when every sampled sequence may draw from them.
LogitsWanted logits_wanted(const StepPlan& plan, int64_t n_candidates) {
  bool argmax = true;
  bool top = n_candidates > 0;
  for (const ScheduledChunk& c : plan.chunks) {
    const auto& seq = static_cast<const Sequence&>(*c.seq);
    if (!c.sample || seq.draws_argmax()) continue;
    argmax = false;
    top = top && seq.draws_from_top(static_cast<size_t>(n_candidates));
  }
  if (argmax) return LogitsWanted::kArgmax;
  return top ? LogitsWanted::kTopK : LogitsWanted::kRows;
}

// Each row with its own sequence's sampler, so the tokens do not depend on the thread count.
constexpr int64_t kRowsPerTask = 2;

}  // namespace

void StatsBoard::publish(const EngineStats& stats) {
  const std::lock_guard lock(mutex_);
  stats_ = stats;
}

EngineStats StatsBoard::snapshot() const {
  const std::lock_guard lock(mutex_);
  return stats_;
}

EngineLoop::EngineLoop(const EngineOptions& options, std::unique_ptr<ModelRunner> runner, CommandQueue& commands,
                       StatsBoard& board, std::atomic<int64_t>& n_queued)
    : options_(options),
      runner_(std::move(runner)),
      commands_(commands),
      board_(board),
      n_queued_(n_queued),
      kv_(static_cast<int32_t>(options.n_kv_blocks), static_cast<int32_t>(options.block_size),
          options.prefix_caching),
      scheduler_(kv_, {options.max_batch_tokens, options.max_seqs, runner_->prompt_rows_differ(),
                       options.separate_prompt_steps}),
      pacer_(options.max_step_time),
      sampling_pool_(options.sampling_threads) {
  counters_.kv_blocks_total = options.n_kv_blocks;
  publish();
}

void EngineLoop::run() {
  for (;;) {
    if (deadline_ && idle()) break;
    // Asleep on the command queue when there is nothing to run.
    std::vector<Command> commands = idle() ? commands_.wait_take(deadline_) : commands_.take();
    for (Command& c : commands) handle(c);
    if (deadline_ && Clock::now() >= *deadline_) {
      cancel_all("the engine shut down before the request finished");
      break;
    }
    if (!idle()) step();
    publish();
  }
  for (Command& c : commands_.close()) handle(c);
  cancel_all("the engine shut down before the request started");
  publish();
}

void EngineLoop::handle(Command& command) {
  std::visit(Overloaded{
                 [&](SubmitCommand& c) {
                   Sequence& seq = *c.seq;
                   sequences_.emplace(seq.serial, std::move(c.seq));
                   scheduler_.enqueue(&seq);
                 },
                 [&](CancelCommand& c) {
                   const auto it = sequences_.find(c.serial);
                   if (it != sequences_.end()) end(*it->second, FinishReason::kCancelled, RF_ERROR(kCancelled, "cancelled"));
                 },
                 [&](ShutdownCommand& c) { deadline_ = deadline_ ? std::min(*deadline_, c.deadline) : c.deadline; },
             },
             command);
}

void EngineLoop::step() {
  const Clock::time_point begin = Clock::now();
  const StepPlan plan = scheduler_.schedule(pacer_.prompt_budget());
  const Clock::time_point start = Clock::now();
  for (SequenceState* s : plan.failed) {
    end(static_cast<Sequence&>(*s), FinishReason::kError,
        RF_ERROR(kCapacity, "the request needs more KV blocks than the pool's {} ({} tokens of {})",
                 options_.n_kv_blocks, s->tokens.size(), options_.block_size));
  }
  for (SequenceState* s : plan.started) {
    --n_queued_;
    counters_.prompt_tokens += s->n_prompt;
    static_cast<Sequence&>(*s).on_started(start, options_.on_timing);
  }
  counters_.preemptions += static_cast<int64_t>(plan.preempted.size());
  counters_.prefix_cache_queried_tokens += plan.prefix_queried_tokens;
  counters_.prefix_cache_hit_tokens += plan.prefix_hit_tokens;
  if (options_.logger && !plan.preempted.empty()) {
    options_.logger->debug("preempted {} sequence(s): KV blocks ran out", plan.preempted.size());
  }
  if (plan.chunks.empty()) return;

  batch_.clear();
  for (const ScheduledChunk& c : plan.chunks) {
    const std::span<const int32_t> tokens(c.seq->tokens);
    const Status added = batch_.add({tokens.subspan(static_cast<size_t>(c.n_past), static_cast<size_t>(c.n_tokens)),
                                     static_cast<int32_t>(c.n_past), c.seq->blocks.table(), c.sample,
                                     static_cast<int32_t>(c.seq->n_prompt)},
                                    options_.block_size, options_.n_kv_blocks);
    if (!added) {
      kv_.end_step();
      fail_chunks(plan, added.error());
      return;
    }
  }
  int64_t n_decode = 0;
  for (const ScheduledChunk& c : plan.chunks) n_decode += c.seq->state == RequestState::kDecoding ? c.n_tokens : 0;
  const LogitsWanted wanted = logits_wanted(plan, options_.n_candidates);
  const Clock::time_point queued = Clock::now();
  const Result<StepLogits> logits = runner_->run(batch_, kv_.pending_copies(), wanted);
  const Clock::time_point ran = Clock::now();
  kv_.end_step();
  if (!logits) {
    if (options_.logger) options_.logger->error("forward step failed: {}", logits.error().to_string());
    fail_chunks(plan, logits.error());
    return;
  }
  ++counters_.steps;
  sample(plan, wanted, *logits);
  const Clock::time_point done = Clock::now();
  pacer_.observe(n_decode, plan.n_tokens - n_decode, std::chrono::duration<double>(done - start).count());
  if (options_.logger && options_.logger->enabled(core::LogLevel::kDebug)) {
    const auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
    options_.logger->debug("step {}: {} decode + {} prompt tokens; plan {:.2f} ms, forward {:.2f}, sample {:.2f}",
                           counters_.steps, n_decode, plan.n_tokens - n_decode, ms(queued - begin),
                           ms(ran - queued), ms(done - ran));
  }
}

void EngineLoop::sample(const StepPlan& plan, LogitsWanted wanted, const StepLogits& logits) {
  const auto n_vocab = static_cast<size_t>(runner_->n_vocab());
  const Clock::time_point now = Clock::now();
  for (const ScheduledChunk& c : plan.chunks) {
    auto& seq = static_cast<Sequence&>(*c.seq);
    // A generated token's K/V may differ from what the same token would get in a prompt (prompt_rows_differ).
    kv_.commit(seq.blocks, seq.tokens, c.n_past + c.n_tokens, runner_->prompt_rows_differ() ? seq.n_prompt : INT64_MAX);
    if (!c.sample) continue;
    if (seq.state == RequestState::kPrefilling) transition(seq.state, RequestState::kDecoding);
    drawn_.emplace_back(&seq, GeneratedToken{});
  }
  switch (wanted) {
    case LogitsWanted::kArgmax:
      for (size_t i = 0; i < drawn_.size(); ++i) drawn_[i].second = drawn_[i].first->draw_argmax(logits.argmax[i]);
      break;
    case LogitsWanted::kTopK:
      draw_from_top(logits.top);
      break;
    case LogitsWanted::kRows:
      sampling_pool_.parallel_for(static_cast<int64_t>(drawn_.size()), kRowsPerTask, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          auto& [seq, token] = drawn_[static_cast<size_t>(i)];
          token = seq->draw(logits.rows.subspan(static_cast<size_t>(i) * n_vocab, n_vocab));
        }
      });
      break;
  }
  for (auto& [seq, token] : drawn_) {
    if (seq == nullptr) continue;  // its row could not be read: it ended with the error
    const std::optional<FinishReason> done = seq->on_token(std::move(token), now, options_.on_timing);
    ++counters_.generated_tokens;
    if (done) retire(*seq, *done);
  }
  drawn_.clear();  // retire() may have freed some of the sequences it points to
}

void EngineLoop::draw_from_top(const model::TopCandidates& top) {
  const auto k = static_cast<size_t>(top.k);
  settled_.assign(drawn_.size(), 0);
  sampling_pool_.parallel_for(static_cast<int64_t>(drawn_.size()), kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (auto i = static_cast<size_t>(begin); i < static_cast<size_t>(end); ++i) {
      auto& [seq, token] = drawn_[i];
      const std::span<const int32_t> ids = top.ids.subspan(i * k, k);
      if (seq->draws_argmax()) {
        token = seq->draw_argmax(ids.front());  // the best candidate is the argmax
        settled_[i] = 1;
      } else if (std::optional<GeneratedToken> t = seq->draw_from_top(top.values.subspan(i * k, k), ids, top.sums[i])) {
        token = std::move(*t);
        settled_[i] = 1;
      }
    }
  });
  unsettled_.clear();
  for (size_t i = 0; i < drawn_.size(); ++i) {
    if (settled_[i] == 0) unsettled_.push_back(static_cast<int32_t>(i));
  }
  counters_.tokens_from_candidates += static_cast<int64_t>(drawn_.size() - unsettled_.size());
  if (unsettled_.empty()) return;
  counters_.rows_read_whole += static_cast<int64_t>(unsettled_.size());

  // The step's logits are still where it left them: read only these rows.
  const Result<std::span<const float>> rows = runner_->read_rows(unsettled_);
  if (!rows) {
    if (options_.logger) options_.logger->error("reading rows of logits failed: {}", rows.error().to_string());
    for (const int32_t i : unsettled_) {
      Sequence* seq = std::exchange(drawn_[static_cast<size_t>(i)].first, nullptr);
      end(*seq, FinishReason::kError, rows.error());
    }
    return;
  }
  const auto n_vocab = static_cast<size_t>(runner_->n_vocab());
  sampling_pool_.parallel_for(static_cast<int64_t>(unsettled_.size()), kRowsPerTask, [&](int64_t begin, int64_t end) {
    for (auto j = static_cast<size_t>(begin); j < static_cast<size_t>(end); ++j) {
      auto& [seq, token] = drawn_[static_cast<size_t>(unsettled_[j])];
      token = seq->draw(rows->subspan(j * n_vocab, n_vocab));
    }
  });
}

void EngineLoop::fail_chunks(const StepPlan& plan, const Error& error) {
  for (const ScheduledChunk& c : plan.chunks) end(static_cast<Sequence&>(*c.seq), FinishReason::kError, error);
}

void EngineLoop::retire(Sequence& seq, FinishReason reason) {
  scheduler_.remove(&seq);
  if (!seq.started) --n_queued_;
  ++counters_.requests_finished[static_cast<int>(reason)];
  sequences_.erase(seq.serial);
}

void EngineLoop::end(Sequence& seq, FinishReason reason, Error error) {
  seq.finish(reason, std::move(error), Clock::now(), options_.on_timing);
  retire(seq, reason);
}

void EngineLoop::cancel_all(const char* why) {
  while (!sequences_.empty()) {
    end(*sequences_.begin()->second, FinishReason::kCancelled, RF_ERROR(kCancelled, "{}", why));
  }
}

void EngineLoop::publish() {
  EngineStats s = counters_;
  s.running = static_cast<int64_t>(scheduler_.running().size());
  s.waiting = static_cast<int64_t>(scheduler_.waiting().size());
  s.kv_blocks_used = kv_.n_used();
  s.kv_blocks_cached = kv_.n_cached_unused();
  board_.publish(s);
}

}  // namespace rocmforge::engine
