// OpenAI-shaped answers: streamed chunks and whole bodies of both endpoints,
// usage, and each endpoint's log-probability format.
#include <gtest/gtest.h>

#include <cmath>

#include "gguf/gguf_file.h"
#include "server/openai_response.h"
#include "testing/test_paths.h"

namespace rocmforge::server {
namespace {

class ResponseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto file = gguf::GgufFile::open(rocmforge::testing::source_path("models/stories260K.gguf"));
    ASSERT_TRUE(file) << file.error().message();
    auto tok = tokenizer::Tokenizer::from_gguf(*file);
    ASSERT_TRUE(tok) << tok.error().message();
    tokenizer_ = std::move(*tok);
  }

  ResponseShape shape(Api api) const {
    ResponseShape s;
    s.api = api;
    s.id = api == Api::kChat ? "chatcmpl-1" : "cmpl-1";
    s.created = 1700000000;
    s.model = "stories260K";
    return s;
  }

  engine::Event token_event(const std::string& text, int32_t id, float logprob = -0.5f) const {
    engine::Event e;
    e.text = text;
    e.token = engine::GeneratedToken{id, logprob, {{id, logprob}, {id + 1, -2.0f}}};
    return e;
  }

  static engine::Finish finish(engine::FinishReason reason) {
    engine::Finish f;
    f.reason = reason;
    f.usage = {5, 3, 2};
    return f;
  }

  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
};

TEST_F(ResponseTest, UsageCarriesCachedTokens) {
  const Json u = usage_json({10, 4, 6});
  EXPECT_EQ(u["prompt_tokens"], 10);
  EXPECT_EQ(u["completion_tokens"], 4);
  EXPECT_EQ(u["total_tokens"], 14);
  EXPECT_EQ(u["prompt_tokens_details"]["cached_tokens"], 6);
}

TEST_F(ResponseTest, CompletionStream) {
  ResponseShape s = shape(Api::kCompletions);
  s.include_usage = true;
  ResponseBuilder b(s, *tokenizer_);
  EXPECT_TRUE(b.stream_start().empty());
  const std::vector<Json> chunks = b.stream_event(token_event(" Lily", 300));
  ASSERT_EQ(chunks.size(), 1u);
  const Json& c = chunks[0];
  EXPECT_EQ(c["id"], "cmpl-1");
  EXPECT_EQ(c["object"], "text_completion");
  EXPECT_EQ(c["created"], 1700000000);
  EXPECT_EQ(c["model"], "stories260K");
  EXPECT_TRUE(c["usage"].is_null());
  ASSERT_EQ(c["choices"].size(), 1u);
  EXPECT_EQ(c["choices"][0]["index"], 0);
  EXPECT_EQ(c["choices"][0]["text"], " Lily");
  EXPECT_TRUE(c["choices"][0]["logprobs"].is_null());
  EXPECT_TRUE(c["choices"][0]["finish_reason"].is_null());
  // A held-back event (no text) sends nothing when logprobs are off.
  EXPECT_TRUE(b.stream_event(token_event("", 301)).empty());
  const std::vector<Json> end = b.stream_finish(finish(engine::FinishReason::kLength));
  ASSERT_EQ(end.size(), 2u);
  EXPECT_EQ(end[0]["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(end[0]["choices"][0]["text"], "");
  EXPECT_TRUE(end[1]["choices"].empty());
  EXPECT_EQ(end[1]["usage"]["total_tokens"], 8);
}

TEST_F(ResponseTest, WithoutIncludeUsageNoUsageChunk) {
  ResponseBuilder b(shape(Api::kCompletions), *tokenizer_);
  const std::vector<Json> chunk = b.stream_event(token_event("x", 5));
  EXPECT_FALSE(chunk[0].contains("usage"));
  EXPECT_EQ(b.stream_finish(finish(engine::FinishReason::kStop)).size(), 1u);
}

TEST_F(ResponseTest, EchoOpensTheStreamAndTheBody) {
  ResponseShape s = shape(Api::kCompletions);
  s.echo = "Once upon";
  ResponseBuilder streamed(s, *tokenizer_);
  const std::vector<Json> start = streamed.stream_start();
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0]["choices"][0]["text"], "Once upon");
  ResponseBuilder whole(s, *tokenizer_);
  whole.append(token_event(" a time", 9));
  EXPECT_EQ(whole.body(finish(engine::FinishReason::kStop))["choices"][0]["text"], "Once upon a time");
}

TEST_F(ResponseTest, ChatStream) {
  ResponseBuilder b(shape(Api::kChat), *tokenizer_);
  const std::vector<Json> start = b.stream_start();
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(start[0]["choices"][0]["delta"]["role"], "assistant");
  const Json c = b.stream_event(token_event("Hi", 10))[0];
  EXPECT_EQ(c["choices"][0]["delta"]["content"], "Hi");
  EXPECT_FALSE(c["choices"][0]["delta"].contains("role"));
  const Json end = b.stream_finish(finish(engine::FinishReason::kStop))[0];
  EXPECT_EQ(end["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(end["choices"][0]["delta"].empty());
}

TEST_F(ResponseTest, ChatBody) {
  ResponseBuilder b(shape(Api::kChat), *tokenizer_);
  b.append(token_event("Hello", 10));
  b.append(token_event(" there", 11));
  const Json body = b.body(finish(engine::FinishReason::kStop));
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], "Hello there");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_TRUE(body["choices"][0]["logprobs"].is_null());
  EXPECT_EQ(body["usage"]["prompt_tokens"], 5);
}

TEST_F(ResponseTest, ChatLogprobs) {
  ResponseShape s = shape(Api::kChat);
  s.logprobs = true;
  ResponseBuilder b(s, *tokenizer_);
  const int32_t id = 300;
  const std::string piece = tokenizer_->token_to_piece(id, true);
  b.append(token_event(piece, id, -0.25f));
  const Json lp = b.body(finish(engine::FinishReason::kStop))["choices"][0]["logprobs"];
  ASSERT_EQ(lp["content"].size(), 1u);
  const Json& entry = lp["content"][0];
  EXPECT_EQ(entry["token"], piece);
  EXPECT_EQ(entry["logprob"], -0.25);
  EXPECT_EQ(entry["bytes"].size(), piece.size());
  ASSERT_EQ(entry["top_logprobs"].size(), 2u);
  EXPECT_EQ(entry["top_logprobs"][1]["logprob"], -2.0);
  // Streamed: the same entry in the chunk of its token, even with no text yet.
  ResponseBuilder streamed(s, *tokenizer_);
  const std::vector<Json> held = streamed.stream_event(token_event("", id, -0.25f));
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(held[0]["choices"][0]["logprobs"]["content"][0]["token"], piece);
}

TEST_F(ResponseTest, CompletionLogprobs) {
  ResponseShape s = shape(Api::kCompletions);
  s.logprobs = true;
  ResponseBuilder b(s, *tokenizer_);
  b.append(token_event(tokenizer_->token_to_piece(300, true), 300, -0.5f));
  b.append(token_event(tokenizer_->token_to_piece(301, true), 301, -std::numeric_limits<float>::infinity()));
  const Json lp = b.body(finish(engine::FinishReason::kLength))["choices"][0]["logprobs"];
  ASSERT_EQ(lp["tokens"].size(), 2u);
  EXPECT_EQ(lp["token_logprobs"][0], -0.5);
  EXPECT_EQ(lp["token_logprobs"][1], -9999.0);  // JSON has no -inf
  EXPECT_EQ(lp["text_offset"][0], 0);
  EXPECT_EQ(lp["text_offset"][1], static_cast<int64_t>(tokenizer_->token_to_piece(300, true).size()));
  EXPECT_TRUE(lp["top_logprobs"][0].contains(tokenizer_->token_to_piece(300, true)));
  EXPECT_TRUE(lp["top_logprobs"][0].contains(tokenizer_->token_to_piece(301, true)));
}

}  // namespace
}  // namespace rocmforge::server
