// Streams on a running server whose client leaves before the first token: a
// stream queued behind another (--parallel 1) whose client closes or resets
// its connection is cancelled within a second and gives its queue slot back
// while the other still runs, having generated nothing; streams that stay
// connected meanwhile (running, or queued and watched) get their whole
// answer, and so does one whose client reads slowly.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "http_test_client.h"
#include "raw_connection.h"
#include "server/sse.h"
#include "server_process.h"

namespace rocmforge::server::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Tokens of the stream that holds the one slot: several seconds of them.
constexpr int kLong = 2000;
// Tokens of the stream queued after the one that left.
constexpr int kShort = 200;

Json streaming(Json request, int max_tokens) {
  request["max_tokens"] = max_tokens;
  request["temperature"] = 0;
  request["ignore_eos"] = true;
  request["stream"] = true;
  return request;
}

Json completion(int max_tokens) { return streaming({{"prompt", "Once upon a time"}}, max_tokens); }

Json chat(int max_tokens) {
  return streaming({{"messages", Json::array({{{"role", "user"}, {"content", "Tell me a story."}}})}}, max_tokens);
}

// The data of each event of an SSE body.
std::vector<std::string> events_of(const std::string& body) {
  SseReader reader;
  reader.feed(body);
  std::vector<std::string> events;
  while (std::optional<std::string> e = reader.next()) events.push_back(std::move(*e));
  return events;
}

// With one stream running and holding the only slot, sends `body` on a
// connection of its own, leaves (FIN or reset) once it is queued, and checks
// that it was cancelled and its queue slot came back within a second, long
// before the running stream ends; then that a stream queued in its place and
// the running one, both connected throughout, get their whole answers.
void expect_cancelled_when_queued_client_leaves(const std::string& path, const Json& body, bool reset) {
  auto server = ServerProcess::start({"-c", "2048", "--parallel", "1", "--max-queue", "1", "--no-prefix-cache"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  StreamSummary running;
  std::jthread holder(
      [&] { running = summarize(client.stream("/v1/completions", completion(kLong).dump()).events); });
  ASSERT_EQ(wait_for_metric(client, "rocmforge_requests_running", 1, seconds(10)), std::optional<double>(1));

  RawConnection queued(server->port(), json_post(path, body.dump()));
  ASSERT_TRUE(queued.sent());
  ASSERT_EQ(wait_for_metric(client, "rocmforge_requests_waiting", 1, seconds(10)), std::optional<double>(1));
  queued.close(reset);
  const auto left = Clock::now();
  EXPECT_EQ(wait_for_metric(client, "rocmforge_requests_waiting", 0, seconds(5)), std::optional<double>(0));
  const double waited = std::chrono::duration<double>(Clock::now() - left).count();
  EXPECT_LT(waited, 1.0) << "the queue slot took " << waited << " s to come back";
  EXPECT_EQ(client.metric("rocmforge_requests_running"), std::optional<double>(1)) << "the running stream ended first";
  EXPECT_EQ(client.metric(R"(rocmforge_requests_finished_total{reason="cancelled"})"), std::optional<double>(1));
  EXPECT_NE(server->log().find("stream=true finish=client_disconnected"), std::string::npos);

  // The freed slot takes a stream (no 429), watched while it waits.
  const StreamAnswer next = client.stream("/v1/completions", completion(kShort).dump());
  EXPECT_EQ(next.status, 200) << next.failure;
  const StreamSummary after = summarize(next.events);
  EXPECT_TRUE(after.done);
  EXPECT_EQ(after.finish_reason, std::optional<std::string>("length"));
  holder.join();
  EXPECT_TRUE(running.done);
  EXPECT_EQ(running.finish_reason, std::optional<std::string>("length"));
  EXPECT_FALSE(after.text.empty());
  EXPECT_TRUE(running.text.starts_with(after.text));
  // The stream that left never ran: every token went to the two that stayed.
  // (A client can read [DONE] before the engine's counters are published.)
  EXPECT_EQ(wait_for_metric(client, "rocmforge_generation_tokens_total", kLong + kShort, seconds(5)),
            std::optional<double>(kLong + kShort));
  EXPECT_EQ(client.metric(R"(rocmforge_requests_finished_total{reason="cancelled"})"), std::optional<double>(1));
  EXPECT_EQ(wait_for_metric(client, "rocmforge_kv_blocks_used", 0, seconds(5)), std::optional<double>(0));
}

TEST(StreamWatchTest, AQueuedCompletionStreamWhoseClientClosesIsCancelled) {
  expect_cancelled_when_queued_client_leaves("/v1/completions", completion(kShort), false);
}

// A chat stream has written its opening chunk (the assistant's role) before
// it waits: the reset comes after that write.
TEST(StreamWatchTest, AQueuedChatStreamWhoseClientIsResetIsCancelled) {
  expect_cancelled_when_queued_client_leaves("/v1/chat/completions", chat(kShort), true);
}

TEST(StreamWatchTest, AClientThatReadsSlowlyGetsTheWholeStream) {
  auto server = ServerProcess::start({"-c", "2048", "--no-prefix-cache"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  // Log-probabilities make large chunks (over 200 KB in all), written and
  // probed while the client reads nothing.
  Json body = completion(600);
  body["logprobs"] = 5;
  const HttpAnswer a = read_slowly(server->port(), json_post("/v1/completions", body.dump()), milliseconds(1500));
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.header("Content-Type"), "text/event-stream");
  EXPECT_GT(a.body.size(), 128u * 1024);
  const StreamSummary got = summarize(events_of(a.body));
  EXPECT_TRUE(got.done);
  EXPECT_EQ(got.finish_reason, std::optional<std::string>("length"));
  const StreamSummary alone = summarize(client.stream("/v1/completions", body.dump()).events);
  EXPECT_EQ(got.text, alone.text);
  EXPECT_EQ(got.n_chunks, alone.n_chunks);
  EXPECT_EQ(client.metric(R"(rocmforge_requests_finished_total{reason="cancelled"})"), std::optional<double>(0));
}

}  // namespace
}  // namespace rocmforge::server::testing
