// Malformed requests against a running server: each is answered 4xx (with
// an OpenAI error body when it reached the API) while a well-formed stream
// runs beside them and completes unharmed.
#include <gtest/gtest.h>

#include <thread>

#include "http_test_client.h"
#include "server_process.h"

namespace rocmforge::server::testing {
namespace {

struct BadRequest {
  const char* name;
  const char* path;
  std::string body;
  int status;
  const char* param;  // expected `param`, nullptr: not checked
};

std::string many_tokens(int n) {
  Json ids = Json::array();
  for (int i = 0; i < n; ++i) ids.push_back(100 + i % 300);
  return Json({{"prompt", ids}}).dump();
}

std::vector<BadRequest> bad_requests() {
  const std::string user = R"("messages": [{"role": "user", "content": "hi"}])";
  return {
      {"not JSON", "/v1/completions", "{\"prompt\": ", 400, nullptr},
      {"array body", "/v1/completions", "[1, 2]", 400, nullptr},
      {"nested 200 deep", "/v1/completions", std::string(200, '[') + std::string(200, ']'), 400, nullptr},
      {"no prompt", "/v1/completions", R"({"max_tokens": 3})", 400, "prompt"},
      {"temperature string", "/v1/completions", R"({"prompt": "a", "temperature": "hot"})", 400, "temperature"},
      {"top_p 2", "/v1/completions", R"({"prompt": "a", "top_p": 2})", 400, "top_p"},
      {"max_tokens 0", "/v1/completions", R"({"prompt": "a", "max_tokens": 0})", 400, "max_tokens"},
      {"n 3", "/v1/completions", R"({"prompt": "a", "n": 3})", 400, "n"},
      {"stop number", "/v1/completions", R"({"prompt": "a", "stop": 5})", 400, "stop"},
      {"token outside vocabulary", "/v1/completions", R"({"prompt": [1, 512]})", 400, "prompt"},
      {"prompt over the context", "/v1/completions", many_tokens(600), 400, "prompt"},
      {"unknown model", "/v1/completions", R"({"prompt": "a", "model": "gpt-4"})", 404, "model"},
      {"logprobs 50", "/v1/completions", R"({"prompt": "a", "logprobs": 50})", 400, "logprobs"},
      {"stream_options alone", "/v1/completions", R"({"prompt": "a", "stream_options": {"include_usage": true}})", 400,
       "stream_options"},
      {"no messages", "/v1/chat/completions", R"({"max_tokens": 3})", 400, "messages"},
      {"empty messages", "/v1/chat/completions", R"({"messages": []})", 400, "messages"},
      {"unknown role", "/v1/chat/completions", R"({"messages": [{"role": "wizard", "content": "a"}]})", 400,
       "messages[0].role"},
      {"image part", "/v1/chat/completions",
       R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]})", 400,
       "messages[0].content[0]"},
      {"top_logprobs alone", "/v1/chat/completions", "{" + user + R"(, "top_logprobs": 2})", 400, "top_logprobs"},
      {"json response_format", "/v1/chat/completions", "{" + user + R"(, "response_format": {"type": "json_object"}})",
       400, "response_format"},
      {"tokenize without content", "/tokenize", R"({"text": "a"})", 400, "content"},
      {"detokenize bad id", "/detokenize", R"({"tokens": [1, -3]})", 400, "tokens"},
      {"unknown path", "/v1/engines", "{}", 404, nullptr},
      {"body over the limit", "/v1/completions", R"({"prompt": ")" + std::string(100 * 1024, 'a') + "\"}", 413, nullptr},
  };
}

std::string chunked(const std::string& path, size_t bytes) {
  std::string out = "POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n";
  const std::string chunk(4096, 'a');
  for (size_t sent = 0; sent < bytes; sent += chunk.size()) out += "1000\r\n" + chunk + "\r\n";
  return out + "0\r\n\r\n";
}

TEST(RobustnessTest, MalformedRequestsAre4xxWhileAGoodStreamCompletes) {
  auto server = ServerProcess::start({"-c", "512", "--max-body-size", "64K"});
  ASSERT_NE(server, nullptr);
  const TestClient client(server->port());
  const std::string good = R"({"prompt": "Once upon a time", "max_tokens": 400, "temperature": 0, "ignore_eos": true,
                               "stream": true})";
  const StreamSummary expected = summarize(client.stream("/v1/completions", good).events);
  ASSERT_TRUE(expected.done);

  StreamSummary during;
  std::thread streaming([&] { during = summarize(client.stream("/v1/completions", good).events); });
  const std::vector<BadRequest> bad = bad_requests();
  EXPECT_GE(bad.size() + 6, 20u);
  for (const BadRequest& b : bad) {
    const HttpAnswer a = client.post(b.path, b.body);
    EXPECT_EQ(a.status, b.status) << b.name << ": " << a.body;
    const Json error = a.json();
    ASSERT_TRUE(error.contains("error")) << b.name << ": " << a.body;
    EXPECT_TRUE(error["error"]["message"].is_string()) << b.name;
    EXPECT_TRUE(error["error"]["type"].is_string()) << b.name;
    if (b.param) {
      EXPECT_EQ(error["error"]["param"], b.param) << b.name << ": " << a.body;
    }
  }
  const HttpAnswer over = client.post("/v1/completions", many_tokens(600));
  EXPECT_EQ(over.json()["error"]["code"], "context_length_exceeded");
  // Below the API: methods, media types and the HTTP framing itself.
  EXPECT_EQ(client.get("/v1/completions").status, 405);
  EXPECT_EQ(client.get("/v1/completions").header("Allow"), "POST");
  EXPECT_EQ(client.post("/health", "{}").status, 405);
  EXPECT_EQ(raw_request_status(server->port(), chunked("/v1/completions", 200 * 1024)), 413);
  EXPECT_EQ(raw_request_status(server->port(), "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(raw_request_status(server->port(), "garbage\r\n\r\n"), 400);
  EXPECT_EQ(raw_request_status(server->port(), "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: "
                                                "multipart/form-data; boundary=b\r\nContent-Length: 4\r\n\r\n--b-"),
            415);
  streaming.join();
  EXPECT_TRUE(during.done);
  EXPECT_EQ(during.text, expected.text);
  EXPECT_EQ(during.finish_reason, std::optional<std::string>("length"));
  EXPECT_EQ(client.get("/health").status, 200);
}

}  // namespace
}  // namespace rocmforge::server::testing
