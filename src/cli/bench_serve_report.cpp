#include "cli/bench_serve_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>

namespace rocmforge::cli {
namespace {

double percentile(const std::vector<double>& sorted, double p) {
  const double rank = p / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

std::vector<double> in_ms(const std::vector<double>& seconds) {
  std::vector<double> ms;
  ms.reserve(seconds.size());
  for (const double s : seconds) ms.push_back(s * 1e3);
  return ms;
}

void section(std::string& out, std::string_view title, std::string_view abbrev, const LatencyStats& s) {
  fmt::format_to(std::back_inserter(out), "{:-^50}\n", title);
  fmt::format_to(std::back_inserter(out), "{:<40} {:.2f}\n", fmt::format("Mean {} (ms):", abbrev), s.mean);
  fmt::format_to(std::back_inserter(out), "{:<40} {:.2f}\n", fmt::format("Median {} (ms):", abbrev), s.median);
  fmt::format_to(std::back_inserter(out), "{:<40} {:.2f}\n", fmt::format("P90 {} (ms):", abbrev), s.p90);
  fmt::format_to(std::back_inserter(out), "{:<40} {:.2f}\n", fmt::format("P99 {} (ms):", abbrev), s.p99);
}

nlohmann::json stats_json(const LatencyStats& s) {
  return {{"mean", s.mean}, {"median", s.median}, {"p90", s.p90}, {"p99", s.p99}};
}

}  // namespace

LatencyStats latency_stats(std::vector<double> values) {
  if (values.empty()) return {};
  std::sort(values.begin(), values.end());
  LatencyStats s;
  s.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  s.median = percentile(values, 50);
  s.p90 = percentile(values, 90);
  s.p99 = percentile(values, 99);
  return s;
}

ServeReport make_report(const LoadRun& run, double request_rate) {
  ServeReport r;
  r.model = run.model;
  r.seed = run.seed;
  r.concurrency = run.concurrency;
  r.request_rate = request_rate;
  r.duration_s = run.duration_s;
  std::vector<double> ttft;
  std::vector<double> tpot;
  std::vector<double> itl;
  std::vector<double> e2e;
  for (const RequestRecord& rec : run.records) {
    if (!rec.ok) {
      ++r.failed;
      if (r.first_error.empty()) r.first_error = rec.error;
      continue;
    }
    ++r.completed;
    r.input_tokens += rec.prompt_tokens;
    r.output_tokens += rec.output_tokens;
    ttft.push_back(rec.ttft_s);
    e2e.push_back(rec.e2e_s);
    if (rec.output_tokens > 1) tpot.push_back((rec.e2e_s - rec.ttft_s) / static_cast<double>(rec.output_tokens - 1));
    itl.insert(itl.end(), rec.itl_s.begin(), rec.itl_s.end());
  }
  if (r.duration_s > 0) {
    r.request_throughput = static_cast<double>(r.completed) / r.duration_s;
    r.output_throughput = static_cast<double>(r.output_tokens) / r.duration_s;
    r.total_throughput = static_cast<double>(r.input_tokens + r.output_tokens) / r.duration_s;
  }
  r.ttft_ms = latency_stats(in_ms(ttft));
  r.tpot_ms = latency_stats(in_ms(tpot));
  r.itl_ms = latency_stats(in_ms(itl));
  r.e2e_ms = latency_stats(in_ms(e2e));
  return r;
}

std::string format_report(const ServeReport& r) {
  std::string out;
  auto line = [&](std::string_view label, const std::string& value) {
    fmt::format_to(std::back_inserter(out), "{:<40} {}\n", label, value);
  };
  fmt::format_to(std::back_inserter(out), "{:=^50}\n", " Serving Benchmark Result ");
  line("Model:", r.model);
  line("Seed:", std::to_string(r.seed));
  line("Successful requests:", std::to_string(r.completed));
  line("Failed requests:", std::to_string(r.failed));
  line("Maximum request concurrency:", r.concurrency > 0 ? std::to_string(r.concurrency) : "none");
  line("Request rate (req/s):", std::isfinite(r.request_rate) ? fmt::format("{:.2f}", r.request_rate) : "inf");
  line("Benchmark duration (s):", fmt::format("{:.2f}", r.duration_s));
  line("Total input tokens:", std::to_string(r.input_tokens));
  line("Total generated tokens:", std::to_string(r.output_tokens));
  line("Request throughput (req/s):", fmt::format("{:.2f}", r.request_throughput));
  line("Output token throughput (tok/s):", fmt::format("{:.2f}", r.output_throughput));
  line("Total token throughput (tok/s):", fmt::format("{:.2f}", r.total_throughput));
  section(out, "Time to First Token", "TTFT", r.ttft_ms);
  section(out, "Time per Output Token (excl. 1st token)", "TPOT", r.tpot_ms);
  section(out, "Inter-token Latency", "ITL", r.itl_ms);
  section(out, "End-to-end Latency", "E2EL", r.e2e_ms);
  fmt::format_to(std::back_inserter(out), "{:=^50}\n", "");
  if (!r.first_error.empty()) fmt::format_to(std::back_inserter(out), "first failure: {}\n", r.first_error);
  return out;
}

nlohmann::json report_json(const ServeReport& r) {
  return {{"model", r.model},
          {"seed", r.seed},
          {"max_concurrency", r.concurrency},
          {"request_rate", std::isfinite(r.request_rate) ? nlohmann::json(r.request_rate) : nlohmann::json("inf")},
          {"completed", r.completed},
          {"failed", r.failed},
          {"duration_s", r.duration_s},
          {"total_input_tokens", r.input_tokens},
          {"total_output_tokens", r.output_tokens},
          {"request_throughput", r.request_throughput},
          {"output_throughput", r.output_throughput},
          {"total_token_throughput", r.total_throughput},
          {"ttft_ms", stats_json(r.ttft_ms)},
          {"tpot_ms", stats_json(r.tpot_ms)},
          {"itl_ms", stats_json(r.itl_ms)},
          {"e2e_ms", stats_json(r.e2e_ms)}};
}

}  // namespace rocmforge::cli
