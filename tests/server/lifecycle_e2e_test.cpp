// The server's life: SIGTERM drains (running requests finish, new ones are
// refused, exit 0), the shutdown deadline ends what is left, a second signal
// exits at once; and the API key guards every endpoint but /health.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "http_test_client.h"
#include "server_process.h"

namespace rocmforge::server::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string long_stream(int max_tokens) {
  return Json({{"prompt", "Once upon a time"}, {"max_tokens", max_tokens}, {"temperature", 0}, {"stream", true},
               {"ignore_eos", true}})
      .dump();
}

// A signal is taken asynchronously: it has been once /health turns 503.
void wait_until_draining(const TestClient& client) {
  const auto give_up = Clock::now() + std::chrono::seconds(10);
  while (client.get("/health").status == 200 && Clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// Streams in a thread; `first` is set once the first event has arrived.
struct BackgroundStream {
  BackgroundStream(const TestClient& client, std::string body) {
    thread = std::thread([this, &client, body = std::move(body)] {
      answer = client.stream("/v1/completions", body, [this](const std::string&) {
        started = true;
        return true;
      });
    });
    const auto give_up = Clock::now() + std::chrono::seconds(20);
    while (!started && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  StreamSummary finish() {
    thread.join();
    return summarize(answer.events);
  }

  std::atomic<bool> started{false};
  StreamAnswer answer;
  std::thread thread;
};

TEST(LifecycleTest, SigtermLetsTheRunningRequestFinishRefusesNewOnesAndExitsZero) {
  auto server = ServerProcess::start({"-c", "2048", "--shutdown-timeout", "60"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  BackgroundStream running(client, long_stream(1000));
  ASSERT_TRUE(running.started);
  server->signal(SIGTERM);
  wait_until_draining(client);
  // A new request: refused, by a 503 while the server drains or by a closed port after.
  const HttpAnswer refused = client.post("/v1/completions", R"({"prompt": "Once", "max_tokens": 2})");
  EXPECT_TRUE(refused.status == 503 || refused.status == 0) << refused.status << " " << refused.body;
  if (refused.status == 503) {
    EXPECT_EQ(refused.json()["error"]["code"], "shutting_down");
  }
  const StreamSummary s = running.finish();
  EXPECT_EQ(running.answer.status, 200);
  EXPECT_TRUE(s.done);
  EXPECT_FALSE(s.error.has_value());
  EXPECT_EQ(s.finish_reason, std::optional<std::string>("length"));
  EXPECT_EQ(server->wait_exit(std::chrono::seconds(30)), std::optional<int>(0)) << server->log();
  EXPECT_NE(server->log().find("SIGTERM: draining"), std::string::npos);
}

TEST(LifecycleTest, TheShutdownDeadlineEndsWhatIsLeft) {
  auto server = ServerProcess::start({"-c", "4096", "--shutdown-timeout", "1"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  // Far more tokens than one second makes: the deadline comes first.
  BackgroundStream running(client, long_stream(4000));
  ASSERT_TRUE(running.started);
  const auto signalled = Clock::now();
  server->signal(SIGINT);
  const StreamSummary s = running.finish();
  EXPECT_TRUE(s.done);
  ASSERT_TRUE(s.error.has_value()) << "the stream finished before the deadline";
  EXPECT_EQ((*s.error)["code"], "shutting_down");
  EXPECT_EQ(server->wait_exit(std::chrono::seconds(30)), std::optional<int>(0)) << server->log();
  const double seconds = std::chrono::duration<double>(Clock::now() - signalled).count();
  EXPECT_GT(seconds, 0.9);
  EXPECT_LT(seconds, 10.0);
}

TEST(LifecycleTest, ASecondSignalExitsAtOnce) {
  auto server = ServerProcess::start({"-c", "4096", "--shutdown-timeout", "60"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  BackgroundStream running(client, long_stream(4000));
  ASSERT_TRUE(running.started);
  server->signal(SIGTERM);
  wait_until_draining(client);
  const auto second = Clock::now();
  server->signal(SIGTERM);
  EXPECT_EQ(server->wait_exit(std::chrono::seconds(10)), std::optional<int>(128 + SIGTERM)) << server->log();
  EXPECT_LT(std::chrono::duration<double>(Clock::now() - second).count(), 2.0);
  const StreamSummary s = running.finish();
  EXPECT_FALSE(s.done);  // cut short: that is what a second signal is for
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    key_file_ = ::testing::TempDir() + "/rocmforge_server_key_" + std::to_string(::getpid());
    std::ofstream(key_file_) << "sk-test-0123\n";
    server_ = ServerProcess::start({"--api-key-file", key_file_});
  }
  static void TearDownTestSuite() {
    server_.reset();
    std::remove(key_file_.c_str());
  }
  void SetUp() override { ASSERT_NE(server_, nullptr); }

  static inline std::string key_file_;
  static inline std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuthTest, HealthIsOpen) { EXPECT_EQ(TestClient(server_->port()).get("/health").status, 200); }

TEST_F(AuthTest, EveryOtherEndpointWantsTheKey) {
  const TestClient none(server_->port());
  const TestClient wrong(server_->port(), "sk-test-0124");
  const TestClient right(server_->port(), "sk-test-0123");
  for (const char* path : {"/v1/models", "/metrics", "/v1/models/stories260K", "/nowhere"}) {
    const HttpAnswer a = none.get(path);
    EXPECT_EQ(a.status, 401) << path;
    EXPECT_EQ(a.header("WWW-Authenticate"), "Bearer") << path;
    EXPECT_EQ(a.json()["error"]["code"], "invalid_api_key") << path;
    EXPECT_EQ(wrong.get(path).status, 401) << path;
  }
  const std::string completion = R"({"prompt": "Once", "max_tokens": 2})";
  for (const char* path : {"/v1/completions", "/tokenize"}) {
    EXPECT_EQ(none.post(path, completion).status, 401) << path;
    EXPECT_EQ(wrong.post(path, completion).status, 401) << path;
  }
  EXPECT_EQ(none.post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "a"}]})").status, 401);
  EXPECT_EQ(right.get("/v1/models").status, 200);
  EXPECT_EQ(right.get("/metrics").status, 200);
  EXPECT_EQ(right.post("/v1/completions", completion).status, 200);
  EXPECT_EQ(right.post("/tokenize", R"({"content": "a"})").status, 200);
  const HttpAnswer lower = none.get("/v1/models", {{"Authorization", "bearer sk-test-0123"}});
  EXPECT_EQ(lower.status, 200);
}

}  // namespace
}  // namespace rocmforge::server::testing
