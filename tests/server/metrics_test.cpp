// Metrics: histogram buckets and the Prometheus text exposition format.
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "server/metrics.h"

namespace rocmforge::server {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The sample value of `series` (name plus labels, exactly as printed).
std::optional<std::string> sample(const std::string& text, const std::string& series) {
  for (const std::string& line : lines_of(text)) {
    if (line.starts_with(series + " ")) return line.substr(series.size() + 1);
  }
  return std::nullopt;
}

engine::EngineStats some_stats() {
  engine::EngineStats s;
  s.running = 3;
  s.waiting = 2;
  s.kv_blocks_total = 100;
  s.kv_blocks_used = 25;
  s.kv_blocks_cached = 5;
  s.prefix_cache_queried_tokens = 40;
  s.prefix_cache_hit_tokens = 10;
  s.preemptions = 1;
  s.prompt_tokens = 400;
  s.generated_tokens = 900;
  s.steps = 77;
  s.tokens_from_candidates = 850;
  s.rows_read_whole = 12;
  s.requests_finished[0] = 4;
  s.requests_finished[2] = 1;
  return s;
}

TEST(HistogramTest, ValuesFallInTheFirstBucketThatHoldsThem) {
  Histogram h({0.1, 1.0, 10.0});
  for (double v : {0.05, 0.1, 0.5, 1.0, 5.0, 50.0}) h.observe(v);
  const Histogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 5, 6}));
  EXPECT_DOUBLE_EQ(s.sum, 56.65);
}

TEST(PrometheusTest, NumbersAndLabels) {
  EXPECT_EQ(prometheus_number(3.0), "3");
  EXPECT_EQ(prometheus_number(0.25), "0.25");
  EXPECT_EQ(prometheus_number(-2.0), "-2");
  EXPECT_EQ(prometheus_number(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(prometheus_number(std::nan("")), "NaN");
  EXPECT_EQ(prometheus_escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

TEST(MetricsTest, RenderIsValidExpositionFormat) {
  Metrics m;
  m.count_request("/v1/completions", 200);
  m.count_request("/v1/completions", 200);
  m.count_request("/v1/completions", 400);
  m.count_request("we\"ird", 404);
  m.observe({engine::TimingKind::kTimeToFirstToken, 0.03});
  m.observe({engine::TimingKind::kInterToken, 0.002});
  m.observe({engine::TimingKind::kEndToEnd, 1.2});
  m.observe({engine::TimingKind::kQueue, 0.0001});
  const std::string text = m.render(some_stats());
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');

  const std::regex sample_line(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? (NaN|[+-]Inf|-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?)$)");
  const std::regex type_line(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  std::set<std::string> typed;
  std::map<std::string, std::string> types;
  for (const std::string& line : lines_of(text)) {
    std::smatch match;
    if (line.starts_with("# HELP ")) continue;
    if (std::regex_match(line, match, type_line)) {
      EXPECT_TRUE(typed.insert(match[1]).second) << "TYPE twice: " << line;
      types[match[1]] = match[2];
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, match, sample_line)) << "not a sample line: " << line;
    std::string family = match[1];
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      const std::string s = suffix;
      if (family.ends_with(s) && types.count(family.substr(0, family.size() - s.size())) &&
          types[family.substr(0, family.size() - s.size())] == "histogram") {
        family = family.substr(0, family.size() - s.size());
      }
    }
    EXPECT_TRUE(typed.count(family)) << "sample before its TYPE line: " << line;
  }
  EXPECT_EQ(sample(text, R"(rocmforge_http_requests_total{endpoint="/v1/completions",status="200"})"), "2");
  EXPECT_EQ(sample(text, R"(rocmforge_http_requests_total{endpoint="/v1/completions",status="400"})"), "1");
  EXPECT_EQ(sample(text, R"(rocmforge_http_requests_total{endpoint="we\"ird",status="404"})"), "1");
  EXPECT_EQ(sample(text, "rocmforge_requests_running"), "3");
  EXPECT_EQ(sample(text, "rocmforge_requests_waiting"), "2");
  EXPECT_EQ(sample(text, "rocmforge_kv_blocks_used"), "25");
  EXPECT_EQ(sample(text, "rocmforge_kv_blocks_total"), "100");
  EXPECT_EQ(sample(text, "rocmforge_kv_cache_usage_ratio"), "0.25");
  EXPECT_EQ(sample(text, "rocmforge_prefix_cache_hit_rate"), "0.25");
  EXPECT_EQ(sample(text, "rocmforge_preemptions_total"), "1");
  EXPECT_EQ(sample(text, "rocmforge_prompt_tokens_total"), "400");
  EXPECT_EQ(sample(text, "rocmforge_generation_tokens_total"), "900");
  EXPECT_EQ(sample(text, "rocmforge_tokens_from_candidates_total"), "850");
  EXPECT_EQ(sample(text, "rocmforge_logit_rows_read_whole_total"), "12");
  EXPECT_EQ(sample(text, R"(rocmforge_requests_finished_total{reason="cancelled"})"), "1");
  EXPECT_EQ(sample(text, R"(rocmforge_time_to_first_token_seconds_bucket{le="0.02"})"), "0");
  EXPECT_EQ(sample(text, R"(rocmforge_time_to_first_token_seconds_bucket{le="0.04"})"), "1");
  EXPECT_EQ(sample(text, R"(rocmforge_time_to_first_token_seconds_bucket{le="+Inf"})"), "1");
  EXPECT_EQ(sample(text, "rocmforge_time_to_first_token_seconds_count"), "1");
  EXPECT_EQ(sample(text, "rocmforge_inter_token_latency_seconds_count"), "1");
  EXPECT_EQ(sample(text, "rocmforge_e2e_request_latency_seconds_sum"), "1.2");
  EXPECT_EQ(sample(text, "rocmforge_request_queue_time_seconds_count"), "1");
}

TEST(MetricsTest, CountsFromManyThreadsAddUp) {
  Metrics m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&m] {
      for (int i = 0; i < 1000; ++i) {
        m.count_request("/health", 200);
        m.observe({engine::TimingKind::kInterToken, 0.001});
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const std::string text = m.render({});
  EXPECT_EQ(sample(text, R"(rocmforge_http_requests_total{endpoint="/health",status="200"})"), "4000");
  EXPECT_EQ(sample(text, "rocmforge_inter_token_latency_seconds_count"), "4000");
}

}  // namespace
}  // namespace rocmforge::server
