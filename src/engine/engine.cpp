#include "engine/engine.h"

#include <future>
#include <limits>
#include <mutex>
#include <thread>

#include "engine/command_queue.h"
#include "engine/engine_loop.h"
#include "engine/forward_runner.h"

namespace rocmforge::engine {

Result<EngineOptions> EngineOptions::resolved() const {
  if (max_batch_tokens <= 0 || max_seqs <= 0 || block_size <= 0 || n_ctx <= 1 || max_queue <= 0 || n_kv_blocks < 0 ||
      sampling_threads <= 0 || max_step_time.count() < 0) {
    return RF_ERROR(kInvalidArgument,
                    "engine options must be positive (max_batch_tokens {}, max_seqs {}, block_size {}, n_ctx {}, "
                    "max_queue {}, n_kv_blocks {}, sampling_threads {})",
                    max_batch_tokens, max_seqs, block_size, n_ctx, max_queue, n_kv_blocks, sampling_threads);
  }
  if (n_candidates < 0 || n_candidates > backend::kMaxTopK) {
    return RF_ERROR(kInvalidArgument, "n_candidates must be in [0, {}], got {}", backend::kMaxTopK, n_candidates);
  }
  EngineOptions r = *this;
  if (r.n_kv_blocks == 0) r.n_kv_blocks = (n_ctx + block_size - 1) / block_size;
  if (r.n_kv_blocks > std::numeric_limits<int32_t>::max() / block_size) {
    return RF_ERROR(kInvalidArgument, "{} KV blocks of {} tokens are more slots than 32-bit indices reach",
                    r.n_kv_blocks, block_size);
  }
  return r;
}

struct Engine::Impl {
  Impl(EngineOptions o, const tokenizer::Tokenizer& t) : options(std::move(o)), tokenizer(t) {}

  Result<std::unique_ptr<Sequence>> make_sequence(Request request, std::shared_ptr<EventChannel> channel);

  EngineOptions options;
  const tokenizer::Tokenizer& tokenizer;
  int32_t n_vocab = 0;
  std::shared_ptr<CommandQueue> commands = std::make_shared<CommandQueue>();
  StatsBoard board;
  std::atomic<int64_t> n_queued{0};
  std::atomic<uint64_t> next_serial{1};
  std::atomic<bool> accepting{true};
  std::mutex join_mutex;
  std::thread thread;
};

Result<std::unique_ptr<Sequence>> Engine::Impl::make_sequence(Request request, std::shared_ptr<EventChannel> channel) {
  const auto n_prompt = static_cast<int64_t>(request.prompt.size());
  if (n_prompt == 0) return RF_ERROR(kInvalidArgument, "the prompt has no tokens");
  if (n_prompt >= options.n_ctx) {
    return RF_ERROR(kInvalidArgument, "the prompt has {} tokens; the context holds {}, with room to generate",
                    n_prompt, options.n_ctx);
  }
  if ((n_prompt + options.block_size - 1) / options.block_size > options.n_kv_blocks) {
    return RF_ERROR(kInvalidArgument, "the prompt has {} tokens, more than the KV pool holds ({} blocks of {})",
                    n_prompt, options.n_kv_blocks, options.block_size);
  }
  if (request.max_tokens && *request.max_tokens < 1) {
    return RF_ERROR(kInvalidArgument, "max_tokens must be at least 1, got {}", *request.max_tokens);
  }
  for (const std::string& stop : request.stop) {
    if (stop.empty()) return RF_ERROR(kInvalidArgument, "a stop string is empty");
  }
  if (request.top_logprobs < 0 || (request.top_logprobs > 0 && !request.logprobs)) {
    return RF_ERROR(kInvalidArgument, "top_logprobs must be >= 0 and needs logprobs, got {}", request.top_logprobs);
  }
  RF_TRY(request.sampling.validate());
  Sampler sampler = RF_TRY(Sampler::create(request.sampling, n_vocab, static_cast<int32_t>(options.n_ctx)));
  // The penalties see the prompt too, as in llama.cpp; this also checks every id.
  RF_TRY(sampler.accept(request.prompt));
  const int64_t max_new = std::min(request.max_tokens.value_or(std::numeric_limits<int64_t>::max()),
                                   options.n_ctx - n_prompt);
  const uint64_t serial = next_serial++;
  return std::make_unique<Sequence>(serial, std::move(request), std::move(sampler), max_new, tokenizer,
                                    std::move(channel), Clock::now());
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Engine::~Engine() { shutdown(Clock::now()); }

Result<std::unique_ptr<Engine>> Engine::create(const model::Model& model, const tokenizer::Tokenizer& tokenizer,
                                               backend::Backend& backend, const EngineOptions& options) {
  return create(
      [&model, &backend](const EngineOptions& o) -> Result<std::unique_ptr<ModelRunner>> {
        return std::unique_ptr<ModelRunner>(RF_TRY(ForwardRunner::create(model, backend, o)));
      },
      tokenizer, options);
}

Result<std::unique_ptr<Engine>> Engine::create(RunnerFactory make_runner, const tokenizer::Tokenizer& tokenizer,
                                               const EngineOptions& options) {
  auto impl = std::make_unique<Impl>(RF_TRY(options.resolved()), tokenizer);
  Impl* p = impl.get();
  std::promise<Result<int32_t>> ready;
  std::future<Result<int32_t>> started = ready.get_future();
  // The runner is made on the engine thread: every use of the backend stays
  // there. The thread owns the promise, so set_value() never races its destruction.
  p->thread = std::thread([p, make_runner = std::move(make_runner), ready = std::move(ready)]() mutable {
    Result<std::unique_ptr<ModelRunner>> runner = make_runner(p->options);
    if (!runner) {
      ready.set_value(std::move(runner).error());
      return;
    }
    ready.set_value((*runner)->n_vocab());
    EngineLoop loop(p->options, std::move(*runner), *p->commands, p->board, p->n_queued);
    loop.run();
  });
  Result<int32_t> n_vocab = started.get();
  if (!n_vocab) {
    p->thread.join();
    return std::move(n_vocab).error();
  }
  p->n_vocab = *n_vocab;
  if (p->options.logger) {
    p->options.logger->info("engine: {} KV blocks of {} tokens, {} sequences, {} tokens per step, context {}",
                            p->options.n_kv_blocks, p->options.block_size, p->options.max_seqs,
                            p->options.max_batch_tokens, p->options.n_ctx);
  }
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Result<std::shared_ptr<RequestHandle>> Engine::submit(Request request) {
  Impl& p = *impl_;
  if (!p.accepting) return RF_ERROR(kCapacity, "the engine is shutting down");
  std::string id = request.id;
  auto channel = std::make_shared<EventChannel>();
  std::unique_ptr<Sequence> seq = RF_TRY(p.make_sequence(std::move(request), channel));
  if (p.n_queued.fetch_add(1) >= p.options.max_queue) {
    --p.n_queued;
    return RF_ERROR(kCapacity, "{} requests are already waiting (the queue's limit)", p.options.max_queue);
  }
  const uint64_t serial = seq->serial;
  if (!p.commands->push(SubmitCommand{std::move(seq)})) {
    --p.n_queued;
    return RF_ERROR(kCapacity, "the engine is shutting down");
  }
  return std::make_shared<RequestHandle>(std::move(id), serial, std::move(channel), p.commands);
}

EngineStats Engine::stats() const { return impl_->board.snapshot(); }

void Engine::shutdown(Clock::time_point deadline) {
  Impl& p = *impl_;
  p.accepting = false;
  p.commands->push(ShutdownCommand{deadline});
  const std::lock_guard lock(p.join_mutex);
  if (p.thread.joinable()) p.thread.join();
}

const EngineOptions& Engine::options() const { return impl_->options; }

}  // namespace rocmforge::engine
