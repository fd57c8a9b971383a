// Generation under load on a running server: 32 concurrent streams equal
// the same requests alone, a client that leaves has its KV blocks freed, a
// full queue answers 429, a repeated prompt reports cached tokens.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "http_test_client.h"
#include "server_process.h"

namespace rocmforge::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> prompts() {
  const char* subjects[] = {"Once upon a time", "The little dog", "Lily and Tom", "A big red ball",
                            "The sun was", "One day, a bird", "Mom said", "The old tree"};
  const char* tails[] = {"", " went to the park", " was very happy", " saw a cat"};
  std::vector<std::string> out;
  for (const char* s : subjects) {
    for (const char* t : tails) out.push_back(std::string(s) + t);
  }
  return out;
}

std::string greedy_stream(const std::string& prompt, int max_tokens) {
  return Json({{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}, {"stream", true},
               {"ignore_eos", true}})
      .dump();
}

TEST(GenerationTest, ThirtyTwoConcurrentStreamsEqualEachAlone) {
  auto server = ServerProcess::start({"-c", "256", "--parallel", "32"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  const std::vector<std::string> texts = prompts();
  ASSERT_EQ(texts.size(), 32u);
  constexpr int kTokens = 24;
  std::vector<StreamSummary> alone;
  for (const std::string& t : texts) {
    alone.push_back(summarize(client.stream("/v1/completions", greedy_stream(t, kTokens)).events));
  }
  const double steps_alone = client.metric("rocmforge_engine_steps_total").value_or(0);

  std::vector<StreamSummary> together(texts.size());
  std::vector<int> statuses(texts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      const StreamAnswer a = client.stream("/v1/completions", greedy_stream(texts[i], kTokens));
      statuses[i] = a.status;
      if (a.status != 200) ADD_FAILURE() << "no answer: " << a.failure;
      together[i] = summarize(a.events);
    });
  }
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(statuses[i], 200) << texts[i];
    EXPECT_TRUE(together[i].done) << texts[i];
    EXPECT_EQ(together[i].finish_reason, std::optional<std::string>("length")) << texts[i];
    EXPECT_FALSE(alone[i].text.empty()) << texts[i];
    EXPECT_EQ(together[i].text, alone[i].text) << "prompt '" << texts[i] << "'";
  }
  // They did run together: far fewer steps than one per token of each.
  const double steps_together = client.metric("rocmforge_engine_steps_total").value_or(0) - steps_alone;
  EXPECT_LT(steps_together, 32 * kTokens / 2);
}

TEST(GenerationTest, AClientThatLeavesHasItsBlocksFreed) {
  auto server = ServerProcess::start({"-c", "2048"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  ASSERT_EQ(client.metric("rocmforge_kv_blocks_used"), std::optional<double>(0));
  std::optional<double> used_while_streaming;
  int events = 0;
  const auto leave_after_20 = [&](const std::string&) {
    if (++events == 20) used_while_streaming = client.metric("rocmforge_kv_blocks_used");
    return events < 20;
  };
  const StreamAnswer s = client.stream("/v1/completions", greedy_stream("Once upon a time", 2000), leave_after_20);
  EXPECT_EQ(s.events.size(), 20u);
  ASSERT_TRUE(used_while_streaming.has_value());
  EXPECT_GT(*used_while_streaming, 0);
  const auto left = Clock::now();
  EXPECT_EQ(wait_for_metric(client, "rocmforge_kv_blocks_used", 0, std::chrono::seconds(5)), std::optional<double>(0));
  const double seconds = std::chrono::duration<double>(Clock::now() - left).count();
  EXPECT_LT(seconds, 1.0) << "the KV blocks took " << seconds << " s to come back";
  EXPECT_EQ(client.metric("rocmforge_requests_running"), std::optional<double>(0));
  EXPECT_EQ(client.metric(R"(rocmforge_requests_finished_total{reason="cancelled"})"), std::optional<double>(1));
  // Cancelled long before its 2000 tokens.
  EXPECT_LT(client.metric("rocmforge_generation_tokens_total").value_or(2000), 1000);
  EXPECT_NE(server->log().find("finish=client_disconnected"), std::string::npos);
}

TEST(GenerationTest, AFullQueueAnswers429WithRetryAfter) {
  auto server = ServerProcess::start({"-c", "2048", "--parallel", "1", "--max-queue", "1"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  // One request runs and one waits; while they do, a third finds the queue full.
  std::vector<std::thread> busy;
  std::vector<StreamSummary> finished(2);
  std::atomic<int> started{0};
  const auto count_started = [&](const std::string&) {
    ++started;
    return true;
  };
  for (size_t i = 0; i < 2; ++i) {
    busy.emplace_back([&, i] {
      finished[i] = summarize(client.stream("/v1/completions", greedy_stream("Once", 800), count_started).events);
    });
    // The second is submitted once the first runs, so it is the one waiting.
    const auto give_up = Clock::now() + std::chrono::seconds(10);
    while (started == 0 && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_EQ(wait_for_metric(client, "rocmforge_requests_waiting", 1, std::chrono::seconds(10)),
            std::optional<double>(1));
  const HttpAnswer refused = client.post("/v1/completions", R"({"prompt": "Once", "max_tokens": 4})");
  EXPECT_EQ(refused.status, 429) << refused.body;
  EXPECT_EQ(refused.header("Retry-After"), "1");
  EXPECT_EQ(refused.json()["error"]["type"], "rate_limit_error");
  for (std::thread& t : busy) t.join();
  for (const StreamSummary& s : finished) EXPECT_EQ(s.finish_reason, std::optional<std::string>("length"));
  EXPECT_EQ(client.post("/v1/completions", R"({"prompt": "Once", "max_tokens": 4})").status, 200);
}

TEST(GenerationTest, ARepeatedPromptReportsCachedTokens) {
  auto server = ServerProcess::start({"-c", "512"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  const std::string body = Json({{"prompt", "Once upon a time, there was a little girl named Lily. She loved to play "
                                            "outside in the park with her dog."},
                                 {"max_tokens", 4},
                                 {"temperature", 0}})
                               .dump();
  const HttpAnswer first = client.post("/v1/completions", body);
  const HttpAnswer second = client.post("/v1/completions", body);
  ASSERT_EQ(second.status, 200);
  const Json usage = second.json()["usage"];
  EXPECT_EQ(first.json()["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  // The KV blocks the first request left are found again (at least one full block of 16).
  const int cached = usage["prompt_tokens_details"]["cached_tokens"];
  EXPECT_GE(cached, 16);
  EXPECT_LT(cached, usage["prompt_tokens"].get<int>());
  EXPECT_EQ(answer_text(second.json()), answer_text(first.json()));
  EXPECT_GT(client.metric("rocmforge_prefix_cache_hit_rate").value_or(0), 0.0);
}

}  // namespace
}  // namespace rocmforge::server::testing
