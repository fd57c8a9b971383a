// The server's Prometheus metrics: HTTP requests by endpoint and status,
// latency histograms fed by the engine's timing samples, and the engine's
// gauges and counters read from its stats snapshot when /metrics is asked.
// Names follow Prometheus conventions with vLLM's meanings
// (rocmforge_time_to_first_token_seconds ~ vllm:time_to_first_token_seconds).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine_stats.h"

namespace rocmforge::server {

// A cumulative histogram over fixed upper bounds (+Inf implied).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);

  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // [bounds.size() + 1]: counts <= each bound, then the total
    double sum = 0.0;
  };
  Snapshot snapshot() const;

 private:
  mutable std::mutex mutex_;
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket, not cumulative; the last is past every bound
  double sum_ = 0.0;
};

class Metrics {
 public:
  Metrics();

  // Thread-safe. `endpoint` should come from a small fixed set (route names).
  void count_request(std::string_view endpoint, int status);
  // The engine's TimingObserver: called on the engine thread, quick.
  void observe(const engine::TimingSample& sample);

  // The Prometheus text exposition (version 0.0.4) of everything, with the
  // engine's state from `stats`.
  std::string render(const engine::EngineStats& stats) const;

 private:
  mutable std::mutex requests_mutex_;
  std::map<std::pair<std::string, int>, uint64_t> requests_;
  Histogram queue_time_;
  Histogram time_to_first_token_;
  Histogram inter_token_;
  Histogram end_to_end_;
};

// The exposition format's pieces, for render() and tests.
std::string prometheus_escape_label(std::string_view value);
std::string prometheus_number(double value);

}  // namespace rocmforge::server
