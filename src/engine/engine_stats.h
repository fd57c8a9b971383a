// What the engine reports about itself: a snapshot of gauges and counters
// (for a Prometheus /metrics page), and per-request timing samples delivered
// as they happen (for latency histograms).
#pragma once

#include <cstdint>
#include <functional>

#include "engine/request.h"

namespace rocmforge::engine {

struct EngineStats {
  // Gauges, as of the end of the last step.
  int64_t running = 0;           // sequences holding KV blocks (prefilling or decoding)
  int64_t waiting = 0;           // accepted and not running: new, or preempted
  int64_t kv_blocks_total = 0;
  int64_t kv_blocks_used = 0;    // referenced by a running sequence
  int64_t kv_blocks_cached = 0;  // referenced by none, kept for prefix reuse (evicted when needed)
  // Counters since the engine started.
  int64_t prefix_cache_queried_tokens = 0;  // tokens looked up when a sequence (re)started
  int64_t prefix_cache_hit_tokens = 0;      // ... of which found in the cache
  int64_t preemptions = 0;
  int64_t prompt_tokens = 0;     // prompt tokens of the requests that started running
  int64_t generated_tokens = 0;  // tokens sampled
  int64_t steps = 0;             // forward steps run
  int64_t tokens_from_candidates = 0;  // drawn from a row's best logits alone (LogitsWanted::kTopK)
  int64_t rows_read_whole = 0;         // rows whose best logits did not settle the draw, read back whole
  int64_t requests_finished[4] = {};  // by FinishReason (stop, length, cancelled, error)

  double prefix_cache_hit_rate() const {
    return prefix_cache_queried_tokens == 0
               ? 0.0
               : static_cast<double>(prefix_cache_hit_tokens) / static_cast<double>(prefix_cache_queried_tokens);
  }
};

enum class TimingKind {
  kQueue,             // submit() to first scheduled
  kTimeToFirstToken,  // submit() to the first generated token
  kInterToken,        // one generated token to the next
  kEndToEnd,          // submit() to finish, whatever the reason
};

struct TimingSample {
  TimingKind kind;
  double seconds;
};

// Called on the engine thread as samples happen: it must be quick and must not
// call back into the engine.
using TimingObserver = std::function<void(const TimingSample&)>;

}  // namespace rocmforge::engine
