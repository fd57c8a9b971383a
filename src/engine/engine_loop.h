// The engine thread: its state (scheduler, KV bookkeeping, model runner,
// sequences) and its loop. Every step is one explicit pass:
//
//   commands ─► schedule ─► batch ─► run (copies, forward) ─► commit KV ─► sample, stream, retire
//
// A step whose sampled sequences are all greedy (without log-probabilities)
// asks the model for each row's argmax only, not the rows of logits. A step
// whose sampled sequences may all draw from a row's best candidates asks for
// those (LogitsWanted::kTopK), then reads back whole only the rows whose
// candidates did not settle the draw (Sampler::sample_from_top).
//
// Nothing here takes a lock but the command queue's, each request's channel
// and the stats board, which are how other threads see the engine.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/thread_pool.h"
#include "engine/command_queue.h"
#include "engine/engine.h"
#include "engine/scheduler.h"
#include "engine/step_pacer.h"
#include "kv/block_manager.h"
#include "model/batch.h"

namespace rocmforge::engine {

// The engine's published stats: written by the engine thread after each step.
class StatsBoard {
 public:
  void publish(const EngineStats& stats);
  EngineStats snapshot() const;

 private:
  mutable std::mutex mutex_;
  EngineStats stats_;
};

class EngineLoop {
 public:
  // `options` resolved; `n_queued` counts submitted requests that have not
  // started yet (submit() increments it, this loop decrements it).
  EngineLoop(const EngineOptions& options, std::unique_ptr<ModelRunner> runner, CommandQueue& commands,
             StatsBoard& board, std::atomic<int64_t>& n_queued);

  // Runs until a shutdown has completed; then refuses further commands and
  // cancels whatever was still queued.
  void run();

 private:
  void handle(Command& command);
  void step();
  void sample(const StepPlan& plan, LogitsWanted wanted, const StepLogits& logits);
  // Draws drawn_'s tokens from the step's candidates, and from whole rows
  // where those do not settle it; a row that cannot be read ends its sequence.
  void draw_from_top(const model::TopCandidates& top);
  void fail_chunks(const StepPlan& plan, const Error& error);
  void retire(Sequence& seq, FinishReason reason);
  void end(Sequence& seq, FinishReason reason, Error error);
  void cancel_all(const char* why);
  void publish();
  bool idle() const { return sequences_.empty(); }

  const EngineOptions& options_;
  std::unique_ptr<ModelRunner> runner_;
  CommandQueue& commands_;
  StatsBoard& board_;
  std::atomic<int64_t>& n_queued_;
  kv::BlockManager kv_;
  Scheduler scheduler_;
  StepPacer pacer_;
  std::unordered_map<uint64_t, std::unique_ptr<Sequence>> sequences_;
  model::Batch batch_;
  core::ThreadPool sampling_pool_;
  std::vector<std::pair<Sequence*, GeneratedToken>> drawn_;  // sample()'s rows, in order; empty between steps
  std::vector<char> settled_;        // draw_from_top(): whether drawn_[i] was drawn from its candidates
  std::vector<int32_t> unsettled_;  // draw_from_top(): the rows read whole
  EngineStats counters_;
  std::optional<Clock::time_point> deadline_;  // set by shutdown
};

}  // namespace rocmforge::engine
