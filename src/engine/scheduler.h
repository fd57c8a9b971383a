// Continuous batching: which sequences run in the next step, and how many of
// their tokens. Cut into two phases, each testable with a BlockManager and
// bare sequences, no model:
//
// 1. Running sequences, in the order they started. Each decode takes one
//    token; each unfinished prompt takes a chunk of what is left of the step's
//    token budget, less one token for every decode still behind it (decodes
//    are never starved by a long prompt). When KV blocks run out, the most
//    recently started sequence is preempted (its blocks freed, requeued at the
//    front of the waiting queue to be recomputed later) until the sequence at
//    hand fits; a sequence that does not fit even alone fails.
// 2. Waiting sequences, first come first served, while sequence slots,
//    budget and blocks last and nothing was preempted in this step: each
//    starts on its longest cached prefix and takes a first chunk. The head of
//    the queue is never overtaken.
// When a running sequence is decoding, the prompt chunks of both phases
// together also stay within schedule()'s prompt budget (StepPacer). With
// SchedulerLimits::separate_prompt_steps, a step holds either the decodes or
// prompt chunks, never both, and the two kinds of step alternate while both
// have work: neither waits more than one step of the other. A chunk
// holds prompt tokens or generated ones (a sequence recomputed after
// preemption takes its prompt first), and the plan lists the chunks of
// generated tokens first: the order model::Batch asks for.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "engine/request_state.h"
#include "kv/block_manager.h"

namespace rocmforge::engine {

// What the scheduler knows of a request.
struct SequenceState {
  uint64_t serial = 0;
  std::vector<int32_t> tokens;  // the prompt, then the generated tokens
  int64_t n_prompt = 0;
  RequestState state = RequestState::kWaiting;
  kv::SequenceBlocks blocks;
  bool started = false;          // has run at least once (a preempted sequence is not new)
  int64_t n_cached_prompt = 0;   // prompt tokens the prefix cache held when it first started

  // Tokens whose K/V is not in the cache yet.
  int64_t n_pending() const { return static_cast<int64_t>(tokens.size()) - blocks.n_computed(); }
};

struct ScheduledChunk {
  SequenceState* seq;
  int64_t n_past;    // positions already computed
  int64_t n_tokens;  // new positions this step
  bool sample;       // the chunk ends at the last known token: its logits pick the next one
};

struct StepPlan {
  std::vector<ScheduledChunk> chunks;
  std::vector<SequenceState*> started;    // running for the first time
  std::vector<SequenceState*> preempted;  // back in the waiting queue
  std::vector<SequenceState*> failed;     // larger than the whole pool: removed, to be finished with an error
  int64_t n_tokens = 0;
  int64_t prefix_queried_tokens = 0;  // prefix-cache lookups of the sequences that started
  int64_t prefix_hit_tokens = 0;
};

struct SchedulerLimits {
  int64_t max_batch_tokens = 512;
  int64_t max_seqs = 64;
  // A sequence starts on cached blocks of its prompt only, never of its
  // generated tokens (when those would have been computed by other kernels
  // than the cached ones: ModelRunner::prompt_rows_differ).
  bool cached_prompts_only = false;
  // Decodes and prompt chunks take steps of their own, in turn (a backend
  // whose step beside decodes costs more than the two steps apart).
  bool separate_prompt_steps = false;
};

class Scheduler {
 public:
  Scheduler(kv::BlockManager& kv, SchedulerLimits limits);

  // A new sequence, at the back of the waiting queue.
  void enqueue(SequenceState* seq);
  // Forgets a sequence in any state (finished, cancelled) and frees its blocks.
  void remove(SequenceState* seq);

  StepPlan schedule(int64_t prompt_budget = INT64_MAX);

  const std::deque<SequenceState*>& waiting() const { return waiting_; }
  const std::vector<SequenceState*>& running() const { return running_; }

 private:
  // `budget` counts every token of the step, `prompt` the prompt tokens alone.
  struct Budget {
    int64_t tokens;
    int64_t prompt;
  };
  // Whether a prompt chunk could run: a running sequence with prompt work
  // (or a recompute) left, or a waiting one with a slot free.
  bool prompt_work() const;
  // skip_decodes: a step of prompt chunks alone.
  void schedule_running(StepPlan& plan, Budget& budget, bool skip_decodes);
  void admit_waiting(StepPlan& plan, Budget& budget);
  // Makes room for at least one new position of running_[index], preempting
  // from the back; false when running_[index] itself was preempted or failed.
  bool make_room(size_t index, StepPlan& plan);
  void preempt_last(StepPlan& plan);
  void add_chunk(SequenceState* seq, int64_t n, bool decode, StepPlan& plan, Budget& budget);

  kv::BlockManager& kv_;
  SchedulerLimits limits_;
  std::deque<SequenceState*> waiting_;
  std::vector<SequenceState*> running_;  // in the order they started
  bool last_prompt_step_ = false;  // separate_prompt_steps: the last step was the prompts' turn
};

}  // namespace rocmforge::engine
