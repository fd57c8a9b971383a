#include "server/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>

namespace rocmforge::server {
namespace {

// vLLM's buckets, with finer steps below 10 ms for small models and CPUs.
std::vector<double> queue_bounds() {
  return {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
}
std::vector<double> first_token_bounds() {
  return {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640};
}
std::vector<double> inter_token_bounds() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 10};
}
std::vector<double> end_to_end_bounds() {
  return {0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 60, 120, 240, 480, 960, 1920};
}

void header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

void scalar(std::string& out, std::string_view name, std::string_view type, std::string_view help, double value) {
  header(out, name, type, help);
  fmt::format_to(std::back_inserter(out), "{} {}\n", name, prometheus_number(value));
}

void histogram(std::string& out, std::string_view name, std::string_view help, const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  header(out, name, "histogram", help);
  for (size_t i = 0; i < s.bounds.size(); ++i) {
    fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"{}\"}} {}\n", name, prometheus_number(s.bounds[i]),
                   s.cumulative[i]);
  }
  const uint64_t count = s.cumulative.back();
  fmt::format_to(std::back_inserter(out), "{}_bucket{{le=\"+Inf\"}} {}\n{}_sum {}\n{}_count {}\n", name, count, name,
                 prometheus_number(s.sum), name, count);
}

}  // namespace

std::string prometheus_escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string prometheus_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  if (value == std::floor(value) && std::fabs(value) < 1e15) return fmt::format("{}", static_cast<int64_t>(value));
  return fmt::format("{}", value);
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double value) {
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
  const std::lock_guard lock(mutex_);
  ++counts_[bucket];
  sum_ += value;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  const std::lock_guard lock(mutex_);
  s.cumulative.resize(counts_.size());
  uint64_t total = 0;
  for (size_t i = 0; i < counts_.size(); ++i) s.cumulative[i] = total += counts_[i];
  s.sum = sum_;
  return s;
}

Metrics::Metrics()
    : queue_time_(queue_bounds()),
      time_to_first_token_(first_token_bounds()),
      inter_token_(inter_token_bounds()),
      end_to_end_(end_to_end_bounds()) {}

void Metrics::count_request(std::string_view endpoint, int status) {
  const std::lock_guard lock(requests_mutex_);
  ++requests_[{std::string(endpoint), status}];
}

void Metrics::observe(const engine::TimingSample& sample) {
  switch (sample.kind) {
    case engine::TimingKind::kQueue: queue_time_.observe(sample.seconds); return;
    case engine::TimingKind::kTimeToFirstToken: time_to_first_token_.observe(sample.seconds); return;
    case engine::TimingKind::kInterToken: inter_token_.observe(sample.seconds); return;
    case engine::TimingKind::kEndToEnd: end_to_end_.observe(sample.seconds); return;
  }
}

std::string Metrics::render(const engine::EngineStats& s) const {
  std::string out;
  header(out, "rocmforge_http_requests_total", "counter", "HTTP requests answered, by endpoint and status code.");
  {
    const std::lock_guard lock(requests_mutex_);
    for (const auto& [key, n] : requests_) {
      fmt::format_to(std::back_inserter(out), "rocmforge_http_requests_total{{endpoint=\"{}\",status=\"{}\"}} {}\n",
                     prometheus_escape_label(key.first), key.second, n);
    }
  }
  scalar(out, "rocmforge_requests_running", "gauge", "Sequences running (holding KV blocks).", static_cast<double>(s.running));
  scalar(out, "rocmforge_requests_waiting", "gauge", "Requests accepted and waiting to run (new or preempted).",
         static_cast<double>(s.waiting));
  scalar(out, "rocmforge_kv_blocks_used", "gauge", "KV cache blocks held by running sequences.",
         static_cast<double>(s.kv_blocks_used));
  scalar(out, "rocmforge_kv_blocks_cached", "gauge", "KV cache blocks held only by the prefix cache (reclaimable).",
         static_cast<double>(s.kv_blocks_cached));
  scalar(out, "rocmforge_kv_blocks_total", "gauge", "KV cache blocks in the pool.", static_cast<double>(s.kv_blocks_total));
  scalar(out, "rocmforge_kv_cache_usage_ratio", "gauge", "Share of the KV cache blocks held by running sequences.",
         s.kv_blocks_total > 0 ? static_cast<double>(s.kv_blocks_used) / static_cast<double>(s.kv_blocks_total) : 0.0);
  scalar(out, "rocmforge_prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache.",
         static_cast<double>(s.prefix_cache_queried_tokens));
  scalar(out, "rocmforge_prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache.",
         static_cast<double>(s.prefix_cache_hit_tokens));
  scalar(out, "rocmforge_prefix_cache_hit_rate", "gauge", "Prompt tokens found in the prefix cache / tokens looked up.",
         s.prefix_cache_hit_rate());
  scalar(out, "rocmforge_preemptions_total", "counter", "Sequences preempted because KV blocks ran out.",
         static_cast<double>(s.preemptions));
  scalar(out, "rocmforge_prompt_tokens_total", "counter", "Prompt tokens of the requests that started.",
         static_cast<double>(s.prompt_tokens));
  scalar(out, "rocmforge_generation_tokens_total", "counter", "Tokens generated.", static_cast<double>(s.generated_tokens));
  scalar(out, "rocmforge_engine_steps_total", "counter", "Forward steps the engine ran.", static_cast<double>(s.steps));
  scalar(out, "rocmforge_tokens_from_candidates_total", "counter",
         "Tokens drawn from the best logits of their row alone, without reading the row back.",
         static_cast<double>(s.tokens_from_candidates));
  scalar(out, "rocmforge_logit_rows_read_whole_total", "counter",
         "Rows of logits read back whole because their best logits did not settle the draw.",
         static_cast<double>(s.rows_read_whole));
  header(out, "rocmforge_requests_finished_total", "counter", "Requests the engine finished, by reason.");
  constexpr const char* kReasons[] = {"stop", "length", "cancelled", "error"};
  for (size_t i = 0; i < 4; ++i) {
    fmt::format_to(std::back_inserter(out), "rocmforge_requests_finished_total{{reason=\"{}\"}} {}\n", kReasons[i],
                   s.requests_finished[i]);
  }
  histogram(out, "rocmforge_request_queue_time_seconds", "From arrival to first scheduled.", queue_time_);
  histogram(out, "rocmforge_time_to_first_token_seconds", "From arrival to the first generated token.",
            time_to_first_token_);
  histogram(out, "rocmforge_inter_token_latency_seconds", "Between consecutive generated tokens of a request.",
            inter_token_);
  histogram(out, "rocmforge_e2e_request_latency_seconds", "From arrival to the end of the request.", end_to_end_);
  return out;
}

}  // namespace rocmforge::server
