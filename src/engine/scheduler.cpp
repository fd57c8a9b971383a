#include "engine/scheduler.h"

#include <algorithm>
#include <cassert>
#include <span>

namespace rocmforge::engine {

Scheduler::Scheduler(kv::BlockManager& kv, SchedulerLimits limits) : kv_(kv), limits_(limits) {
  assert(limits.max_batch_tokens > 0 && limits.max_seqs > 0);
}

void Scheduler::enqueue(SequenceState* seq) {
  assert(seq->state == RequestState::kWaiting && seq->blocks.empty());
  waiting_.push_back(seq);
}

void Scheduler::remove(SequenceState* seq) {
  if (const auto it = std::find(running_.begin(), running_.end(), seq); it != running_.end()) running_.erase(it);
  if (const auto it = std::find(waiting_.begin(), waiting_.end(), seq); it != waiting_.end()) waiting_.erase(it);
  kv_.release(seq->blocks);
}

namespace {

// Tokens before the sequence's next one crosses from prompt to generated: a
// chunk stays on one side (model::Batch, Backend::matmul_prompt).
int64_t one_role(const SequenceState* seq) {
  const int64_t n_past = seq->blocks.n_computed();
  return n_past < seq->n_prompt ? seq->n_prompt - n_past : INT64_MAX;
}

}  // namespace

bool Scheduler::prompt_work() const {
  const bool running = std::any_of(running_.begin(), running_.end(), [](const SequenceState* s) {
    return s->state != RequestState::kDecoding && s->n_pending() > 0;
  });
  return running || (!waiting_.empty() && static_cast<int64_t>(running_.size()) < limits_.max_seqs);
}

StepPlan Scheduler::schedule(int64_t prompt_budget) {
  StepPlan plan;
  const bool decodes = std::any_of(running_.begin(), running_.end(),
                                   [](const SequenceState* s) { return s->state == RequestState::kDecoding; });
  Budget budget{limits_.max_batch_tokens, decodes ? std::max<int64_t>(prompt_budget, 1) : INT64_MAX};
  // Whose turn it is when decodes and prompts both have work and may not share a step.
  const bool split = limits_.separate_prompt_steps && decodes && prompt_work();
  const bool prompts_only = split && !last_prompt_step_;
  if (split && !prompts_only) budget.prompt = 0;
  last_prompt_step_ = prompts_only;
  schedule_running(plan, budget, prompts_only);
  // Admitting right after preempting would only thrash the pool.
  if (plan.preempted.empty()) admit_waiting(plan, budget);
  // Generated tokens' rows first, then prompts' (model::Batch's order).
  std::stable_partition(plan.chunks.begin(), plan.chunks.end(),
                        [](const ScheduledChunk& c) { return c.n_past >= c.seq->n_prompt; });
  return plan;
}

void Scheduler::add_chunk(SequenceState* seq, int64_t n, bool decode, StepPlan& plan, Budget& budget) {
  const int64_t n_past = seq->blocks.n_computed();
  const Status reserved = kv_.reserve(seq->blocks, n_past + n);
  assert(reserved.has_value() && "reserve() failed within reservable()");
  (void)reserved;
  plan.chunks.push_back({seq, n_past, n, n_past + n == static_cast<int64_t>(seq->tokens.size())});
  plan.n_tokens += n;
  budget.tokens -= n;
  if (!decode) budget.prompt -= n;
}

void Scheduler::preempt_last(StepPlan& plan) {
  SequenceState* victim = running_.back();
  running_.pop_back();
  kv_.release(victim->blocks);
  transition(victim->state, RequestState::kPreempted);
  transition(victim->state, RequestState::kWaiting);
  waiting_.push_front(victim);
  plan.preempted.push_back(victim);
}

bool Scheduler::make_room(size_t index, StepPlan& plan) {
  SequenceState* seq = running_[index];
  while (kv_.reservable(seq->blocks) < 1) {
    if (running_.size() == 1) {
      running_.clear();
      kv_.release(seq->blocks);
      plan.failed.push_back(seq);
      return false;
    }
    const bool self = running_.back() == seq;
    preempt_last(plan);
    if (self) return false;
  }
  return true;
}

void Scheduler::schedule_running(StepPlan& plan, Budget& budget, bool skip_decodes) {
  auto is_decode = [](const SequenceState* s) { return s->state == RequestState::kDecoding; };
  // Budget kept for the decodes behind position i (n is at most max_seqs).
  auto decodes_behind = [&](size_t i) -> int64_t {
    if (skip_decodes) return 0;
    return std::count_if(running_.begin() + static_cast<std::ptrdiff_t>(i) + 1, running_.end(), is_decode);
  };
  size_t i = 0;
  while (i < running_.size()) {
    SequenceState* seq = running_[i];
    const bool decode = is_decode(seq);
    if (decode && skip_decodes) {
      ++i;
      continue;
    }
    const int64_t room = decode ? budget.tokens : std::min(budget.tokens - decodes_behind(i), budget.prompt);
    if (std::min(seq->n_pending(), room) <= 0) {
      ++i;
      continue;
    }
    if (!make_room(i, plan)) continue;  // running_[i] was preempted or failed
    const int64_t want = decode ? 1 : std::min({seq->n_pending(), room, one_role(seq)});
    add_chunk(seq, std::min(want, kv_.reservable(seq->blocks)), decode, plan, budget);
    ++i;
  }
}

void Scheduler::admit_waiting(StepPlan& plan, Budget& budget) {
  while (!waiting_.empty() && static_cast<int64_t>(running_.size()) < limits_.max_seqs &&
         std::min(budget.tokens, budget.prompt) > 0) {
    SequenceState* seq = waiting_.front();
    std::span<const int32_t> matchable(seq->tokens);
    if (limits_.cached_prompts_only) matchable = matchable.first(static_cast<size_t>(seq->n_prompt));
    const kv::PrefixMatch match = kv_.match(matchable);
    kv_.adopt(seq->blocks, match);
    const int64_t n =
        std::min({seq->n_pending(), budget.tokens, budget.prompt, kv_.reservable(seq->blocks), one_role(seq)});
    if (n <= 0) {
      kv_.release(seq->blocks);
      if (!running_.empty()) return;  // wait for blocks to come back, keeping first come first served
      waiting_.pop_front();
      plan.failed.push_back(seq);
      continue;
    }
    waiting_.pop_front();
    transition(seq->state, RequestState::kPrefilling);
    running_.push_back(seq);
    plan.prefix_queried_tokens += static_cast<int64_t>(seq->tokens.size());
    plan.prefix_hit_tokens += match.n_tokens;
    if (!seq->started) {
      seq->started = true;
      seq->n_cached_prompt = match.n_tokens;
      plan.started.push_back(seq);
    }
    add_chunk(seq, n, /*decode=*/false, plan, budget);
  }
}

}  // namespace rocmforge::engine
