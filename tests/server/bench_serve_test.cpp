// rocmforge bench-serve: its statistics, and a short run against a running
// server at a fixed concurrency and at a request rate.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "cli/bench_serve_report.h"
#include "server_process.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::cli {
namespace {

TEST(BenchServeReportTest, PercentilesInterpolateAsNumpy) {
  const LatencyStats s = latency_stats({10, 1, 9, 2, 8, 3, 7, 4, 6, 5});
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.median, 5.5);
  EXPECT_DOUBLE_EQ(s.p90, 9.1);
  EXPECT_DOUBLE_EQ(s.p99, 9.91);
  const LatencyStats one = latency_stats({4});
  EXPECT_EQ(one.p99, 4);
  EXPECT_EQ(latency_stats({}).mean, 0);
}

TEST(BenchServeReportTest, ThroughputAndPerRequestLatencies) {
  LoadRun run;
  run.duration_s = 2.0;
  run.concurrency = 2;
  RequestRecord a{true, "", 10, 5, 0.1, {0.01, 0.02, 0.03, 0.04}, 0.2};
  RequestRecord b{true, "", 10, 3, 0.3, {0.05, 0.05}, 0.5};
  RequestRecord failed{false, "HTTP 429", 10, 0, 0, {}, 0.01};
  run.records = {a, b, failed};
  const ServeReport r = make_report(run, 4.0);
  EXPECT_EQ(r.completed, 2);
  EXPECT_EQ(r.failed, 1);
  EXPECT_EQ(r.first_error, "HTTP 429");
  EXPECT_EQ(r.input_tokens, 20);
  EXPECT_EQ(r.output_tokens, 8);
  EXPECT_DOUBLE_EQ(r.request_throughput, 1.0);
  EXPECT_DOUBLE_EQ(r.output_throughput, 4.0);
  EXPECT_DOUBLE_EQ(r.total_throughput, 14.0);
  EXPECT_DOUBLE_EQ(r.ttft_ms.mean, 200.0);
  EXPECT_DOUBLE_EQ(r.tpot_ms.mean, (25.0 + 100.0) / 2);  // (0.2-0.1)/4 and (0.5-0.3)/2, in ms
  EXPECT_DOUBLE_EQ(r.itl_ms.median, 35.0);  // of 10, 20, 30, 40, 50, 50
  const std::string table = format_report(r);
  EXPECT_NE(table.find("Successful requests:                     2"), std::string::npos) << table;
  EXPECT_NE(table.find("Mean TTFT (ms):"), std::string::npos);
  EXPECT_NE(table.find("P99 ITL (ms):"), std::string::npos);
  EXPECT_EQ(report_json(r)["total_output_tokens"], 8);
}

nlohmann::json bench(const server::testing::ServerProcess& server, std::vector<std::string> args) {
  const std::string json_path = ::testing::TempDir() + "/bench_serve_" + std::to_string(::getpid()) + ".json";
  std::vector<std::string> argv = {rocmforge::testing::cli_path(), "bench-serve", "--url", server.url(), "--json", json_path};
  argv.insert(argv.end(), args.begin(), args.end());
  const rocmforge::testing::RunResult r = rocmforge::testing::run_command(argv, {}, std::chrono::seconds(120));
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("Serving Benchmark Result"), std::string::npos) << r.out;
  std::ifstream in(json_path);
  std::stringstream text;
  text << in.rdbuf();
  std::remove(json_path.c_str());
  return nlohmann::json::parse(text.str(), nullptr, false);
}

TEST(BenchServeTest, FixedConcurrencyAndRequestRate) {
  auto server = server::testing::ServerProcess::start({"-c", "256"});
  ASSERT_NE(server, nullptr);
  const nlohmann::json fixed = bench(*server, {"-n", "12", "--concurrency", "4", "--input-len", "16", "--output-len", "8"});
  ASSERT_FALSE(fixed.is_discarded());
  EXPECT_EQ(fixed["completed"], 12);
  EXPECT_EQ(fixed["failed"], 0);
  EXPECT_EQ(fixed["max_concurrency"], 4);
  EXPECT_EQ(fixed["total_input_tokens"], 12 * 16);
  EXPECT_EQ(fixed["total_output_tokens"], 12 * 8);
  EXPECT_GT(fixed["ttft_ms"]["mean"].get<double>(), 0.0);
  EXPECT_GE(fixed["ttft_ms"]["p99"].get<double>(), fixed["ttft_ms"]["median"].get<double>());
  EXPECT_GT(fixed["output_throughput"].get<double>(), 0.0);
  const nlohmann::json rated = bench(*server, {"-n", "10", "--request-rate", "200", "--input-len", "8", "--output-len", "4"});
  ASSERT_FALSE(rated.is_discarded());
  EXPECT_EQ(rated["completed"], 10);
  EXPECT_EQ(rated["request_rate"], 200.0);
  EXPECT_EQ(rated["total_output_tokens"], 40);
}

// Tokens that all render as no text (a random model stuck on control
// tokens) fail the request, as vLLM's benchmark fails it, and the error
// says that tokens came.
TEST(BenchServeTest, AStreamOfTokensWithoutTextSaysSo) {
  httplib::Server fake;
  fake.Get("/v1/models", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(R"({"data":[{"id":"fake","meta":{"n_vocab":100}}]})", "application/json");
  });
  fake.Post("/v1/completions", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(
        "data: {\"choices\":[{\"index\":0,\"text\":\"\"}]}\n\n"
        "data: {\"choices\":[{\"index\":0,\"text\":\"\"}]}\n\n"
        "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}\n\n"
        "data: [DONE]\n\n",
        "text/event-stream");
  });
  const int port = fake.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread serving([&] { fake.listen_after_bind(); });
  const rocmforge::testing::RunResult r = rocmforge::testing::run_command(
      {rocmforge::testing::cli_path(), "bench-serve", "--url", "http://127.0.0.1:" + std::to_string(port), "-n", "2",
       "--input-len", "4", "--output-len", "2"},
      {}, std::chrono::seconds(60));
  fake.stop();
  serving.join();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("the stream carried no text (2 generated tokens rendered as none)"), std::string::npos)
      << r.err;
}

TEST(BenchServeTest, AnUnreachableServerIsAnError) {
  const rocmforge::testing::RunResult r = rocmforge::testing::run_command(
      {rocmforge::testing::cli_path(), "bench-serve", "--url", "http://127.0.0.1:1", "-n", "1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot reach"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rocmforge::cli
