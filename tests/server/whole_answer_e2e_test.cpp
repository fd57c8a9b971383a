// Non-streaming answers on a running server: a client that leaves while its
// request generates (its connection closed or reset, completions or chat)
// has the request cancelled and its KV blocks freed within a second; a
// client that reads slowly still gets the whole answer; the JSON is the same
// chunked (HTTP/1.1) or with a length (HTTP/1.0); a request the shutdown
// deadline ends is answered with an error body.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <thread>

#include "http_test_client.h"
#include "raw_connection.h"
#include "server_process.h"

namespace rocmforge::server::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

Json greedy(Json request, int max_tokens) {
  request["max_tokens"] = max_tokens;
  request["temperature"] = 0;
  request["ignore_eos"] = true;
  return request;
}

Json completion(int max_tokens) { return greedy({{"prompt", "Once upon a time"}}, max_tokens); }

Json chat(int max_tokens) {
  return greedy({{"messages", Json::array({{{"role", "user"}, {"content", "Tell me a story."}}})}}, max_tokens);
}

// What two answers to the same greedy request share: all but their id and time.
Json timeless(Json answer) {
  answer.erase("id");
  answer.erase("created");
  return answer;
}

// Sends `body` on a connection of its own, leaves (FIN or reset) once the
// engine runs it, and checks that the request was cancelled and its blocks
// came back within a second.
void expect_cancelled_when_client_leaves(const ServerProcess& server, const std::string& path, const Json& body,
                                         bool reset) {
  const TestClient client(server.port());
  ASSERT_EQ(client.metric("rocmforge_kv_blocks_used"), std::optional<double>(0));
  RawConnection connection(server.port(), json_post(path, body.dump()));
  ASSERT_TRUE(connection.sent());
  ASSERT_EQ(wait_for_metric(client, "rocmforge_requests_running", 1, seconds(10)), std::optional<double>(1));
  EXPECT_GT(client.metric("rocmforge_kv_blocks_used").value_or(0), 0);
  connection.close(reset);
  const auto left = Clock::now();
  EXPECT_EQ(wait_for_metric(client, "rocmforge_kv_blocks_used", 0, seconds(5)), std::optional<double>(0));
  const double waited = std::chrono::duration<double>(Clock::now() - left).count();
  EXPECT_LT(waited, 1.0) << "the KV blocks took " << waited << " s to come back";
  EXPECT_EQ(client.metric("rocmforge_requests_running"), std::optional<double>(0));
  EXPECT_EQ(client.metric(R"(rocmforge_requests_finished_total{reason="cancelled"})"), std::optional<double>(1));
  // Cancelled long before its max_tokens.
  EXPECT_LT(client.metric("rocmforge_generation_tokens_total").value_or(1e9), body["max_tokens"].get<int>() / 2);
  EXPECT_NE(server.log().find("stream=false finish=client_disconnected"), std::string::npos);
}

TEST(WholeAnswerTest, ACompletionWhoseClientClosesIsCancelledAndItsBlocksFreed) {
  auto server = ServerProcess::start({"-c", "2048"});
  ASSERT_NE(server, nullptr);
  expect_cancelled_when_client_leaves(*server, "/v1/completions", completion(2000), false);
}

TEST(WholeAnswerTest, AChatWhoseClientIsResetIsCancelledAndItsBlocksFreed) {
  auto server = ServerProcess::start({"-c", "2048"});
  ASSERT_NE(server, nullptr);
  expect_cancelled_when_client_leaves(*server, "/v1/chat/completions", chat(1900), true);
}

TEST(WholeAnswerTest, AClientThatReadsSlowlyGetsTheWholeAnswer) {
  auto server = ServerProcess::start({"-c", "2048", "--no-prefix-cache"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  // Log-probabilities make a large body (about 100 KB).
  Json body = completion(600);
  body["logprobs"] = 5;
  // The server probes the client several times while it reads nothing.
  const HttpAnswer a = read_slowly(server->port(), json_post("/v1/completions", body.dump()), milliseconds(1500));
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.header("Content-Type"), "application/json");
  EXPECT_EQ(a.header("Transfer-Encoding"), "chunked");
  EXPECT_GT(a.body.size(), 64u * 1024);
  const Json answer = a.json();
  ASSERT_FALSE(answer.is_discarded()) << a.body.substr(0, 200);
  EXPECT_EQ(answer["usage"]["completion_tokens"], 600);
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(timeless(answer), timeless(client.post("/v1/completions", body.dump()).json()));
  EXPECT_EQ(client.metric(R"(rocmforge_requests_finished_total{reason="cancelled"})"), std::optional<double>(0));
}

TEST(WholeAnswerTest, TheJsonIsTheSameChunkedOrWithALength) {
  auto server = ServerProcess::start({"-c", "512", "--no-prefix-cache"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  for (const auto& [path, body] : {std::pair{"/v1/completions", completion(24)}, {"/v1/chat/completions", chat(24)}}) {
    const HttpAnswer chunked = client.post(path, body.dump());
    ASSERT_EQ(chunked.status, 200) << path;
    EXPECT_EQ(chunked.header("Transfer-Encoding"), "chunked") << path;
    EXPECT_EQ(chunked.header("Content-Type"), "application/json") << path;
    // HTTP/1.0 has no chunked framing: the body comes with its length.
    RawConnection old(server->port(), json_post(path, body.dump(), "HTTP/1.0"));
    const HttpAnswer with_length = old.read_answer(64 * 1024, milliseconds(0));
    ASSERT_EQ(with_length.status, 200) << path;
    EXPECT_EQ(with_length.header("Transfer-Encoding"), "") << path;
    EXPECT_EQ(with_length.header("Content-Length"), std::to_string(with_length.body.size())) << path;
    EXPECT_EQ(with_length.header("Content-Type"), "application/json") << path;
    EXPECT_EQ(timeless(chunked.json()), timeless(with_length.json())) << path;
  }
  // An error known before generation keeps its status and its length.
  const HttpAnswer invalid = client.post("/v1/completions", R"({"prompt": "a", "temperature": 5})");
  EXPECT_EQ(invalid.status, 400);
  EXPECT_EQ(invalid.header("Content-Length"), std::to_string(invalid.body.size()));
  EXPECT_EQ(invalid.json()["error"]["param"], "temperature");
}

TEST(WholeAnswerTest, ARequestTheShutdownDeadlineEndsIsAnsweredWithAnErrorBody) {
  auto server = ServerProcess::start({"-c", "4096", "--shutdown-timeout", "1"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  HttpAnswer answer;
  // Far more tokens than one second makes: the deadline comes first.
  std::thread waiting([&] { answer = client.post("/v1/completions", completion(4000).dump()); });
  EXPECT_EQ(wait_for_metric(client, "rocmforge_requests_running", 1, seconds(10)), std::optional<double>(1));
  server->signal(SIGTERM);
  waiting.join();
  // The 200 went out before the deadline; the body says what happened.
  EXPECT_EQ(answer.status, 200);
  const Json body = answer.json();
  EXPECT_FALSE(body.contains("choices")) << answer.body;
  EXPECT_EQ(body["error"]["code"], "shutting_down") << answer.body;
  EXPECT_EQ(server->wait_exit(seconds(30)), std::optional<int>(0)) << server->log();
}

}  // namespace
}  // namespace rocmforge::server::testing
