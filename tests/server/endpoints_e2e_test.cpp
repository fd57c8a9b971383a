// Every endpoint of a running `rocmforge serve` (stories260K, CPU), asked
// with curl as a user would.
#include <gtest/gtest.h>

#include "http_test_client.h"
#include "server/sse.h"
#include "server_process.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::server::testing {
namespace {

struct CurlAnswer {
  int status = 0;
  std::string body;
  Json json() const { return Json::parse(body, nullptr, false); }
};

class EndpointsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::start({"-c", "512", "--alias", "stories"}); }
  static void TearDownTestSuite() { server_.reset(); }

  void SetUp() override { ASSERT_NE(server_, nullptr); }

  // curl -sS [args] URL+path, with the status on a last line of its own.
  static CurlAnswer curl(const std::string& path, std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"curl", "-sS", "--max-time", "60", "-w", "\n%{http_code}"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(server_->url() + path);
    const rocmforge::testing::RunResult r = rocmforge::testing::run_command(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    CurlAnswer a;
    const size_t nl = r.out.rfind('\n');
    if (nl == std::string::npos) return a;
    a.status = std::stoi(r.out.substr(nl + 1));
    a.body = r.out.substr(0, nl);
    return a;
  }
  static CurlAnswer curl_post(const std::string& path, const std::string& json, std::vector<std::string> args = {}) {
    args.insert(args.end(), {"-H", "Content-Type: application/json", "-d", json});
    return curl(path, args);
  }

  static inline std::unique_ptr<ServerProcess> server_;
};

TEST_F(EndpointsTest, Health) {
  const CurlAnswer a = curl("/health");
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.json()["status"], "ok");
}

TEST_F(EndpointsTest, Models) {
  const CurlAnswer list = curl("/v1/models");
  ASSERT_EQ(list.status, 200);
  const Json j = list.json();
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 1u);
  EXPECT_EQ(j["data"][0]["id"], "stories");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["max_model_len"], 512);
  EXPECT_EQ(j["data"][0]["meta"]["n_vocab"], 512);
  EXPECT_EQ(curl("/v1/models/stories").status, 200);
  const CurlAnswer missing = curl("/v1/models/gpt-4");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.json()["error"]["code"], "model_not_found");
}

TEST_F(EndpointsTest, CompletionEqualsRocmforgeRunAtTemperatureZero) {
  const std::string prompt = "Lily and Tom went to the park";
  const rocmforge::testing::RunResult run = rocmforge::testing::run_command(
      {rocmforge::testing::cli_path(), "run", "-m", rocmforge::testing::source_path("models/stories260K.gguf"), "-p",
       prompt, "-n", "24", "--temp", "0", "--json", "-t", "1", "--ignore-eos"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const Json expected = Json::parse(run.out);
  const CurlAnswer a = curl_post("/v1/completions", Json({{"model", "stories"}, {"prompt", prompt}, {"max_tokens", 24},
                                                          {"temperature", 0}, {"ignore_eos", true}}).dump());
  ASSERT_EQ(a.status, 200) << a.body;
  const Json j = a.json();
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_TRUE(j["id"].get<std::string>().starts_with("cmpl-"));
  EXPECT_EQ(j["model"], "stories");
  EXPECT_EQ(j["choices"][0]["text"], expected["text"]);
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["prompt_tokens"], expected["prompt_tokens"].size());
  EXPECT_EQ(j["usage"]["completion_tokens"], 24);
  EXPECT_EQ(j["usage"]["total_tokens"], expected["prompt_tokens"].size() + 24);
  EXPECT_TRUE(j["usage"]["prompt_tokens_details"]["cached_tokens"].is_number());
}

TEST_F(EndpointsTest, CompletionFromTokenIdsWithEchoAndStop) {
  const CurlAnswer tok = curl_post("/tokenize", R"({"content": "Once upon a time", "add_special": true})");
  ASSERT_EQ(tok.status, 200) << tok.body;
  const Json ids = tok.json()["tokens"];
  ASSERT_GT(ids.size(), 1u);
  const CurlAnswer a = curl_post("/v1/completions", Json({{"prompt", ids}, {"max_tokens", 16}, {"temperature", 0},
                                                          {"echo", true}}).dump());
  ASSERT_EQ(a.status, 200) << a.body;
  const std::string text = a.json()["choices"][0]["text"];
  EXPECT_TRUE(text.starts_with("Once upon a time")) << text;
  EXPECT_EQ(a.json()["usage"]["prompt_tokens"], ids.size());
  // The same completion, told to stop at "girl": the stop string is not sent.
  const std::string completion = text.substr(std::string("Once upon a time").size());
  ASSERT_NE(completion.find("girl"), std::string::npos) << completion;
  const CurlAnswer stopped = curl_post("/v1/completions", Json({{"prompt", ids}, {"max_tokens", 16}, {"temperature", 0},
                                                                {"stop", "girl"}}).dump());
  ASSERT_EQ(stopped.status, 200);
  EXPECT_EQ(stopped.json()["choices"][0]["text"], completion.substr(0, completion.find("girl")));
  EXPECT_EQ(stopped.json()["choices"][0]["finish_reason"], "stop");
}

TEST_F(EndpointsTest, CompletionStreamIsServerSentEvents) {
  const CurlAnswer a = curl_post("/v1/completions",
                                 R"({"prompt": "Once upon a time", "max_tokens": 12, "temperature": 0, "stream": true,
                                     "stream_options": {"include_usage": true}})",
                                 {"-N", "-D", "-"});
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_NE(a.body.find("Content-Type: text/event-stream"), std::string::npos) << a.body;
  EXPECT_NE(a.body.find("X-Request-Id: "), std::string::npos);
  std::vector<std::string> events;
  SseReader reader;
  reader.feed(a.body.substr(a.body.find("\r\n\r\n") + 4));
  while (auto e = reader.next()) events.push_back(*e);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "[DONE]");
  const StreamSummary s = summarize(events);
  EXPECT_EQ(s.finish_reason, std::optional<std::string>("length"));
  ASSERT_TRUE(s.usage.has_value());
  EXPECT_EQ((*s.usage)["completion_tokens"], 12);
  const CurlAnswer whole = curl_post("/v1/completions", R"({"prompt": "Once upon a time", "max_tokens": 12, "temperature": 0})");
  EXPECT_EQ(s.text, whole.json()["choices"][0]["text"]);
}

TEST_F(EndpointsTest, ChatCompletion) {
  const std::string body = R"({"model": "stories", "messages": [{"role": "system", "content": "Tell a story."},
      {"role": "user", "content": "Once upon a time"}], "max_completion_tokens": 10, "temperature": 0})";
  const CurlAnswer a = curl_post("/v1/chat/completions", body);
  ASSERT_EQ(a.status, 200) << a.body;
  const Json j = a.json();
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_TRUE(j["id"].get<std::string>().starts_with("chatcmpl-"));
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(j["usage"]["completion_tokens"], 10);
  Json streamed_body = Json::parse(body);
  streamed_body["stream"] = true;
  const CurlAnswer s = curl_post("/v1/chat/completions", streamed_body.dump(), {"-N"});
  ASSERT_EQ(s.status, 200);
  SseReader reader;
  reader.feed(s.body);
  std::vector<std::string> events;
  while (auto e = reader.next()) events.push_back(*e);
  const Json first = Json::parse(events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  const StreamSummary summary = summarize(events);
  EXPECT_TRUE(summary.done);
  EXPECT_EQ(summary.text, j["choices"][0]["message"]["content"]);
  EXPECT_EQ(summary.finish_reason, std::optional<std::string>("length"));
}

TEST_F(EndpointsTest, Logprobs) {
  const CurlAnswer c = curl_post("/v1/completions", R"({"prompt": "Once", "max_tokens": 3, "temperature": 0, "logprobs": 2})");
  ASSERT_EQ(c.status, 200) << c.body;
  const Json lp = c.json()["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"].size(), 3u);
  EXPECT_EQ(lp["token_logprobs"].size(), 3u);
  EXPECT_EQ(lp["text_offset"].size(), 3u);
  EXPECT_GE(lp["top_logprobs"][0].size(), 2u);
  for (const Json& v : lp["token_logprobs"]) EXPECT_LE(v.get<double>(), 0.0);
  const CurlAnswer chat = curl_post("/v1/chat/completions", R"({"messages": [{"role": "user", "content": "Hi"}],
      "max_tokens": 3, "temperature": 0, "logprobs": true, "top_logprobs": 2})");
  ASSERT_EQ(chat.status, 200) << chat.body;
  const Json content = chat.json()["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 3u);
  EXPECT_EQ(content[0]["top_logprobs"].size(), 2u);
  EXPECT_TRUE(content[0]["bytes"].is_array());
}

TEST_F(EndpointsTest, TokenizeAndDetokenize) {
  const CurlAnswer tok = curl_post("/tokenize", R"({"content": "Lily saw a cat", "with_pieces": true})");
  ASSERT_EQ(tok.status, 200) << tok.body;
  const Json tokens = tok.json()["tokens"];
  ASSERT_FALSE(tokens.empty());
  EXPECT_TRUE(tokens[0].contains("piece"));
  EXPECT_EQ(tok.json()["count"], tokens.size());
  Json ids = Json::array();
  for (const Json& t : tokens) ids.push_back(t["id"]);
  const CurlAnswer detok = curl_post("/detokenize", Json({{"tokens", ids}}).dump());
  ASSERT_EQ(detok.status, 200) << detok.body;
  EXPECT_EQ(detok.json()["content"], "Lily saw a cat");
}

TEST_F(EndpointsTest, MetricsCountRequests) {
  ASSERT_EQ(curl_post("/v1/completions", R"({"prompt": "Once", "max_tokens": 2})").status, 200);
  const CurlAnswer m = curl("/metrics", {"-D", "-"});
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  for (const char* name : {"rocmforge_http_requests_total{endpoint=\"/v1/completions\",status=\"200\"}",
                           "rocmforge_time_to_first_token_seconds_bucket", "rocmforge_inter_token_latency_seconds_count",
                           "rocmforge_e2e_request_latency_seconds_sum", "rocmforge_requests_running",
                           "rocmforge_requests_waiting", "rocmforge_kv_blocks_used", "rocmforge_kv_blocks_total",
                           "rocmforge_prefix_cache_hit_rate", "rocmforge_preemptions_total",
                           "rocmforge_prompt_tokens_total", "rocmforge_generation_tokens_total"}) {
    EXPECT_NE(m.body.find(name), std::string::npos) << name;
  }
}

TEST_F(EndpointsTest, RequestIds) {
  const CurlAnswer own = curl_post("/v1/completions", R"({"prompt": "Once", "max_tokens": 2})",
                                   {"-D", "-", "-H", "X-Request-Id: my-request-7"});
  ASSERT_EQ(own.status, 200);
  EXPECT_NE(own.body.find("X-Request-Id: my-request-7"), std::string::npos);
  EXPECT_NE(own.body.find("\"id\":\"cmpl-my-request-7\""), std::string::npos);
  const CurlAnswer unsafe = curl("/health", {"-D", "-", "-H", "X-Request-Id: a b"});
  EXPECT_EQ(unsafe.body.find("X-Request-Id: a b"), std::string::npos);
  EXPECT_NE(unsafe.body.find("X-Request-Id: "), std::string::npos);
  EXPECT_NE(server_->log().find("id=my-request-7"), std::string::npos);
}

}  // namespace
}  // namespace rocmforge::server::testing
