// The serving engine: many requests generating at once over one model, by
// continuous batching on a paged KV cache.
//
// One engine thread owns the scheduler, the KV bookkeeping, the forward pass
// and every use of the backend; nothing inside takes a lock. Other threads
// talk to it through one command queue (submit, cancel, shutdown) and read
// each request's events from its own channel. When no request is running the
// engine thread sleeps on the command queue.
//
// Every step runs the decoding sequences (one token each) plus chunks of
// waiting prompts, first come first served, under a token budget
// (max_batch_tokens). When KV blocks run out, the most recently started
// sequence is preempted: its blocks are freed and it is requeued at the front,
// keeping its generated tokens, to be recomputed later. Full blocks are kept
// in a prefix cache keyed by their tokens and everything before them, so
// repeated prompt prefixes are not computed twice.
//
// Use:
//   auto engine = RF_TRY(Engine::create(*model, *tokenizer, *backend, options));
//   auto handle = RF_TRY(engine->submit(std::move(request)));
//   while (!handle->done()) {
//     if (std::optional<Event> e = handle->next(std::chrono::milliseconds(100))) { ... e->finish ... }
//     else if (client_gone) handle->cancel();
//   }
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

#include "backend/backend.h"
#include "core/log.h"
#include "engine/engine_stats.h"
#include "engine/model_runner.h"
#include "engine/request.h"
#include "engine/request_handle.h"
#include "model/model.h"
#include "rocmforge/error.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::engine {

struct EngineOptions {
  int64_t max_batch_tokens = 512;  // new tokens per step: decodes plus prompt chunks
  int64_t max_seqs = 64;           // sequences running at once
  int64_t block_size = 16;         // tokens per KV block
  int64_t n_kv_blocks = 0;         // blocks in the KV pool (kv::blocks_for_budget); 0: one full context
  int64_t max_queue = 256;         // requests waiting to start; past it submit() is kCapacity
  int64_t n_ctx = 4096;            // positions per sequence, prompt and generated tokens together
  backend::KvTypes kv_types;  // F16 for K and V unless chosen
  bool prefix_caching = true;
  // Threads that draw a step's tokens, the engine thread among them: the
  // sequences' samplers are independent, and a step of 64 rows over a 128k
  // vocabulary is milliseconds on one core.
  int sampling_threads = 1;
  // Candidates per row that a non-greedy step reads back instead of whole
  // rows of logits (Backend::top_k; the sampler reads a row only when they do
  // not settle its draw); 0: whole rows always. At most backend::kMaxTopK.
  int64_t n_candidates = 64;
  // A step that running decodes wait on takes no more prompt tokens than fit
  // in this time (StepPacer); zero: only max_batch_tokens bounds it.
  std::chrono::milliseconds max_step_time{0};
  // Decodes and prompt chunks run in steps of their own, in turn
  // (SchedulerLimits::separate_prompt_steps).
  bool separate_prompt_steps = false;
  const core::Logger* logger = nullptr;  // must outlive the engine; null: no logging
  TimingObserver on_timing;              // may be empty

  // Checks the values and resolves n_kv_blocks = 0.
  Result<EngineOptions> resolved() const;
};

// Makes the model runner, on the engine thread, for the resolved options.
using RunnerFactory = std::function<Result<std::unique_ptr<ModelRunner>>(const EngineOptions&)>;

class Engine {
 public:
  // `model`, `tokenizer` and `backend` must outlive the engine. The forward
  // pass and its KV pool are created on the engine thread; a failure there
  // (kOutOfMemory for a pool too large ...) is returned here.
  static Result<std::unique_ptr<Engine>> create(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                                                backend::Backend& backend, const EngineOptions& options);
  // Any model runner (tests use a fake one).
  static Result<std::unique_ptr<Engine>> create(RunnerFactory make_runner, const tokenizer::Tokenizer& tokenizer,
                                                const EngineOptions& options);

  // shutdown(now) when not shut down yet: unfinished requests end cancelled.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Thread-safe. kInvalidArgument for an empty prompt, a prompt longer than
  // n_ctx or than the whole KV pool, bad sampling parameters, max_tokens < 1,
  // an empty stop string, negative top_logprobs; kCapacity when max_queue
  // requests are already waiting or the engine is shutting down.
  Result<std::shared_ptr<RequestHandle>> submit(Request request);

  // Thread-safe snapshot, updated after every step.
  EngineStats stats() const;

  // Stops accepting requests, lets the accepted ones (running and waiting)
  // finish until `deadline`, then cancels the rest; returns once the engine
  // thread has ended. Thread-safe; later calls return at once.
  void shutdown(std::chrono::steady_clock::time_point deadline);

  const EngineOptions& options() const;

 private:
  struct Impl;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rocmforge::engine
