// What `rocmforge bench-serve` reports, as vLLM's serving benchmark does:
// throughput, and time to first token, time per output token, inter-token
// latency and end-to-end latency at mean, median, p90 and p99.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/serve_load.h"

namespace rocmforge::cli {

struct LatencyStats {
  double mean = 0.0;
  double median = 0.0;
  double p90 = 0.0;
  double p99 = 0.0;
};

// Percentiles with linear interpolation between closest ranks (numpy's
// default, which vLLM's benchmark uses); all zero for no values.
LatencyStats latency_stats(std::vector<double> values);

struct ServeReport {
  std::string model;
  uint64_t seed = 0;
  int64_t concurrency = 0;  // 0: none
  double request_rate = 0.0;
  int64_t completed = 0;
  int64_t failed = 0;
  std::string first_error;
  double duration_s = 0.0;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  double request_throughput = 0.0;  // completed requests per second
  double output_throughput = 0.0;   // generated tokens per second
  double total_throughput = 0.0;    // prompt and generated tokens per second
  LatencyStats ttft_ms;
  LatencyStats tpot_ms;  // (end to end - first token) / (tokens - 1), per request
  LatencyStats itl_ms;   // every gap between chunks, all requests together
  LatencyStats e2e_ms;
};

ServeReport make_report(const LoadRun& run, double request_rate);
// The table vLLM prints.
std::string format_report(const ServeReport& report);
nlohmann::json report_json(const ServeReport& report);

}  // namespace rocmforge::cli
