// Request parsing and validation: every malformed kind is refused with the
// right error code and `param`; the accepted shapes parse to what the engine
// gets; unknown fields are ignored.
#include <gtest/gtest.h>

#include <string>

#include "server/json_text.h"
#include "server/openai_request.h"
#include "server/openai_response.h"

namespace rocmforge::server {
namespace {

constexpr int32_t kVocab = 512;

struct Parsed {
  Status status = ok();
  std::optional<std::string> param;
  std::optional<CompletionRequest> completion;
  std::optional<ChatRequest> chat;
};

Parsed parse(Api api, const std::string& body) {
  Parsed out;
  Result<Json> json = parse_json_body(body);
  if (!json) {
    out.status = json.error();
    return out;
  }
  FieldReader fields(*json);
  const RequestLimits limits{.n_vocab = kVocab};
  if (api == Api::kCompletions) {
    Result<CompletionRequest> r = parse_completion_request(fields, limits);
    if (r) {
      out.completion = *r;
    } else {
      out.status = r.error();
    }
  } else {
    Result<ChatRequest> r = parse_chat_request(fields, limits);
    if (r) {
      out.chat = *r;
    } else {
      out.status = r.error();
    }
  }
  out.param = fields.failed_param();
  return out;
}

struct Malformed {
  const char* name;
  Api api;
  std::string body;
  ErrorCode code;
  const char* param;  // nullptr: none expected
};

std::string deep_nesting() { return "{\"prompt\": " + std::string(100, '[') + std::string(100, ']') + "}"; }

const Malformed kMalformed[] = {
    {"NotJson", Api::kCompletions, R"({"prompt": "a",)", ErrorCode::kInvalidArgument, nullptr},
    {"TopLevelArray", Api::kCompletions, R"([1, 2])", ErrorCode::kInvalidArgument, nullptr},
    {"NestedTooDeep", Api::kCompletions, deep_nesting(), ErrorCode::kInvalidArgument, nullptr},
    {"PromptMissing", Api::kCompletions, R"({"max_tokens": 4})", ErrorCode::kInvalidArgument, "prompt"},
    {"PromptNumber", Api::kCompletions, R"({"prompt": 5})", ErrorCode::kInvalidArgument, "prompt"},
    {"PromptEmptyArray", Api::kCompletions, R"({"prompt": []})", ErrorCode::kInvalidArgument, "prompt"},
    {"SeveralPrompts", Api::kCompletions, R"({"prompt": ["a", "b"]})", ErrorCode::kUnsupported, "prompt"},
    {"TokenIdTooLarge", Api::kCompletions, R"({"prompt": [1, 99999]})", ErrorCode::kInvalidArgument, "prompt"},
    {"TokenIdNegative", Api::kCompletions, R"({"prompt": [1, -1]})", ErrorCode::kInvalidArgument, "prompt"},
    {"TokenIdHuge", Api::kCompletions, R"({"prompt": [18446744073709551615]})", ErrorCode::kInvalidArgument, "prompt"},
    {"TokenIdsMixed", Api::kCompletions, R"({"prompt": [1, "a"]})", ErrorCode::kInvalidArgument, "prompt"},
    {"TokenIdFloat", Api::kCompletions, R"({"prompt": [1, 2.5]})", ErrorCode::kInvalidArgument, "prompt"},
    {"TemperatureString", Api::kCompletions, R"({"prompt": "a", "temperature": "hot"})", ErrorCode::kInvalidArgument, "temperature"},
    {"TemperatureTooHigh", Api::kCompletions, R"({"prompt": "a", "temperature": 3})", ErrorCode::kInvalidArgument, "temperature"},
    {"TemperatureNegative", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "temperature": -0.5})", ErrorCode::kInvalidArgument, "temperature"},
    {"TopPTooHigh", Api::kCompletions, R"({"prompt": "a", "top_p": 1.5})", ErrorCode::kInvalidArgument, "top_p"},
    {"TopKBelowMinusOne", Api::kCompletions, R"({"prompt": "a", "top_k": -2})", ErrorCode::kInvalidArgument, "top_k"},
    {"MinPNegative", Api::kCompletions, R"({"prompt": "a", "min_p": -0.1})", ErrorCode::kInvalidArgument, "min_p"},
    {"PresencePenaltyTooHigh", Api::kCompletions, R"({"prompt": "a", "presence_penalty": 2.5})", ErrorCode::kInvalidArgument, "presence_penalty"},
    {"FrequencyPenaltyTooLow", Api::kCompletions, R"({"prompt": "a", "frequency_penalty": -3})", ErrorCode::kInvalidArgument, "frequency_penalty"},
    {"RepetitionPenaltyZero", Api::kCompletions, R"({"prompt": "a", "repetition_penalty": 0})", ErrorCode::kInvalidArgument, "repetition_penalty"},
    {"MaxTokensZero", Api::kCompletions, R"({"prompt": "a", "max_tokens": 0})", ErrorCode::kInvalidArgument, "max_tokens"},
    {"MaxTokensNegative", Api::kCompletions, R"({"prompt": "a", "max_tokens": -5})", ErrorCode::kInvalidArgument, "max_tokens"},
    {"MaxTokensFraction", Api::kCompletions, R"({"prompt": "a", "max_tokens": 1.5})", ErrorCode::kInvalidArgument, "max_tokens"},
    {"MaxTokensString", Api::kCompletions, R"({"prompt": "a", "max_tokens": "16"})", ErrorCode::kInvalidArgument, "max_tokens"},
    {"MaxCompletionTokensZero", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "max_completion_tokens": 0})", ErrorCode::kInvalidArgument, "max_completion_tokens"},
    {"StopNumber", Api::kCompletions, R"({"prompt": "a", "stop": 5})", ErrorCode::kInvalidArgument, "stop"},
    {"StopArrayWithNumber", Api::kCompletions, R"({"prompt": "a", "stop": ["x", 1]})", ErrorCode::kInvalidArgument, "stop"},
    {"StopEmptyString", Api::kCompletions, R"({"prompt": "a", "stop": ""})", ErrorCode::kInvalidArgument, "stop"},
    {"TooManyStops", Api::kCompletions, R"({"prompt": "a", "stop": ["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17"]})", ErrorCode::kInvalidArgument, "stop"},
    {"NTwo", Api::kCompletions, R"({"prompt": "a", "n": 2})", ErrorCode::kUnsupported, "n"},
    {"NZero", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "n": 0})", ErrorCode::kInvalidArgument, "n"},
    {"BestOfThree", Api::kCompletions, R"({"prompt": "a", "best_of": 3})", ErrorCode::kUnsupported, "best_of"},
    {"LogitBias", Api::kCompletions, R"({"prompt": "a", "logit_bias": {"5": 100}})", ErrorCode::kUnsupported, "logit_bias"},
    {"ResponseFormatJson", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "response_format": {"type": "json_object"}})", ErrorCode::kUnsupported, "response_format"},
    {"StreamString", Api::kCompletions, R"({"prompt": "a", "stream": "yes"})", ErrorCode::kInvalidArgument, "stream"},
    {"StreamOptionsWithoutStream", Api::kCompletions, R"({"prompt": "a", "stream_options": {"include_usage": true}})", ErrorCode::kInvalidArgument, "stream_options"},
    {"IncludeUsageString", Api::kCompletions, R"({"prompt": "a", "stream": true, "stream_options": {"include_usage": "true"}})", ErrorCode::kInvalidArgument, "stream_options.include_usage"},
    {"CompletionLogprobsTooMany", Api::kCompletions, R"({"prompt": "a", "logprobs": 21})", ErrorCode::kInvalidArgument, "logprobs"},
    {"CompletionLogprobsBool", Api::kCompletions, R"({"prompt": "a", "logprobs": true})", ErrorCode::kInvalidArgument, "logprobs"},
    {"EchoWithLogprobs", Api::kCompletions, R"({"prompt": "a", "echo": true, "logprobs": 2})", ErrorCode::kUnsupported, "echo"},
    {"Suffix", Api::kCompletions, R"({"prompt": "a", "suffix": "end"})", ErrorCode::kUnsupported, "suffix"},
    {"SeedString", Api::kCompletions, R"({"prompt": "a", "seed": "abc"})", ErrorCode::kInvalidArgument, "seed"},
    {"IgnoreEosInteger", Api::kCompletions, R"({"prompt": "a", "ignore_eos": 1})", ErrorCode::kInvalidArgument, "ignore_eos"},
    {"ModelNumber", Api::kCompletions, R"({"prompt": "a", "model": 7})", ErrorCode::kInvalidArgument, "model"},
    {"MessagesMissing", Api::kChat, R"({"max_tokens": 4})", ErrorCode::kInvalidArgument, "messages"},
    {"MessagesEmpty", Api::kChat, R"({"messages": []})", ErrorCode::kInvalidArgument, "messages"},
    {"MessagesObject", Api::kChat, R"({"messages": {"role": "user"}})", ErrorCode::kInvalidArgument, "messages"},
    {"MessageNotObject", Api::kChat, R"({"messages": ["hello"]})", ErrorCode::kInvalidArgument, "messages[0]"},
    {"UnknownRole", Api::kChat, R"({"messages": [{"role": "wizard", "content": "a"}]})", ErrorCode::kInvalidArgument, "messages[0].role"},
    {"RoleMissing", Api::kChat, R"({"messages": [{"content": "a"}]})", ErrorCode::kInvalidArgument, "messages[0].role"},
    {"UserContentMissing", Api::kChat, R"({"messages": [{"role": "system", "content": "s"}, {"role": "user"}]})", ErrorCode::kInvalidArgument, "messages[1].content"},
    {"ContentNumber", Api::kChat, R"({"messages": [{"role": "user", "content": 42}]})", ErrorCode::kInvalidArgument, "messages[0].content"},
    {"ImagePart", Api::kChat, R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x"}}]}]})", ErrorCode::kUnsupported, "messages[0].content[0]"},
    {"UnknownPartType", Api::kChat, R"({"messages": [{"role": "user", "content": [{"type": "hologram"}]}]})", ErrorCode::kInvalidArgument, "messages[0].content[0]"},
    {"TextPartWithoutText", Api::kChat, R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})", ErrorCode::kInvalidArgument, "messages[0].content[0]"},
    {"NameNotString", Api::kChat, R"({"messages": [{"role": "user", "content": "a", "name": 3}]})", ErrorCode::kInvalidArgument, "messages[0].name"},
    {"TopLogprobsWithoutLogprobs", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "top_logprobs": 3})", ErrorCode::kInvalidArgument, "top_logprobs"},
    {"TopLogprobsTooMany", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "logprobs": true, "top_logprobs": 21})", ErrorCode::kInvalidArgument, "top_logprobs"},
    {"ToolsNotArray", Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "tools": "all"})", ErrorCode::kInvalidArgument, "tools"},
};

class MalformedRequestTest : public ::testing::TestWithParam<Malformed> {};

TEST_P(MalformedRequestTest, IsRefusedNamingTheField) {
  const Malformed& m = GetParam();
  const Parsed p = parse(m.api, m.body);
  ASSERT_FALSE(p.status) << "accepted: " << m.body;
  EXPECT_EQ(p.status.error().code(), m.code) << p.status.error().message();
  if (m.param) {
    EXPECT_EQ(p.param, std::optional<std::string>(m.param)) << p.status.error().message();
  } else {
    EXPECT_FALSE(p.param.has_value());
  }
  EXPECT_FALSE(p.status.error().message().empty());
}

std::string kind_name(const ::testing::TestParamInfo<Malformed>& kind) { return kind.param.name; }

INSTANTIATE_TEST_SUITE_P(Kinds, MalformedRequestTest, ::testing::ValuesIn(kMalformed), kind_name);

TEST(RequestParsingTest, ThereAreAtLeastTwentyMalformedKinds) { EXPECT_GE(std::size(kMalformed), 20u); }

TEST(RequestParsingTest, CompletionPromptShapes) {
  const Parsed text = parse(Api::kCompletions, R"({"prompt": "Once"})");
  ASSERT_TRUE(text.status);
  EXPECT_EQ(std::get<std::string>(text.completion->prompt), "Once");
  const Parsed one_string = parse(Api::kCompletions, R"({"prompt": ["Once"]})");
  ASSERT_TRUE(one_string.status);
  EXPECT_EQ(std::get<std::string>(one_string.completion->prompt), "Once");
  const Parsed ids = parse(Api::kCompletions, R"({"prompt": [1, 2, 511]})");
  ASSERT_TRUE(ids.status);
  EXPECT_EQ(std::get<TokenIds>(ids.completion->prompt), (TokenIds{1, 2, 511}));
  const Parsed nested = parse(Api::kCompletions, R"({"prompt": [[7, 8]]})");
  ASSERT_TRUE(nested.status);
  EXPECT_EQ(std::get<TokenIds>(nested.completion->prompt), (TokenIds{7, 8}));
}

TEST(RequestParsingTest, DefaultsAreOpenAIs) {
  const Parsed p = parse(Api::kCompletions, R"({"prompt": "a"})");
  ASSERT_TRUE(p.status);
  const GenerationParams& g = p.completion->params;
  EXPECT_EQ(g.sampling.temperature, 1.0f);
  EXPECT_EQ(g.sampling.top_p, 1.0f);
  EXPECT_EQ(g.sampling.top_k, 0);
  EXPECT_EQ(g.sampling.min_p, 0.0f);
  EXPECT_EQ(g.sampling.repeat_penalty, 1.0f);
  EXPECT_EQ(g.sampling.repeat_last_n, -1);
  EXPECT_EQ(g.sampling.seed, engine::kRandomSeed);
  EXPECT_FALSE(g.max_tokens.has_value());
  EXPECT_FALSE(g.stream);
  EXPECT_FALSE(g.logprobs);
  EXPECT_TRUE(g.stop.empty());
}

TEST(RequestParsingTest, EveryFieldReachesTheParameters) {
  const Parsed p = parse(Api::kCompletions, R"({"prompt": "a", "model": "m", "temperature": 0, "top_p": 0.5,
      "top_k": 7, "min_p": 0.1, "presence_penalty": 0.5, "frequency_penalty": -0.5, "repetition_penalty": 1.1,
      "seed": 42, "stop": ["x", "y"], "max_tokens": 9, "ignore_eos": true, "stream": true,
      "stream_options": {"include_usage": true}, "logprobs": 3, "echo": false, "n": 1, "best_of": 1,
      "logit_bias": {}, "suffix": "", "user": "u", "metadata": {"k": "v"}, "some_future_field": [1, 2]})");
  ASSERT_TRUE(p.status) << p.status.error().message();
  const GenerationParams& g = p.completion->params;
  EXPECT_EQ(g.model, std::optional<std::string>("m"));
  EXPECT_EQ(g.sampling.temperature, 0.0f);
  EXPECT_EQ(g.sampling.top_p, 0.5f);
  EXPECT_EQ(g.sampling.top_k, 7);
  EXPECT_FLOAT_EQ(g.sampling.min_p, 0.1f);
  EXPECT_EQ(g.sampling.presence_penalty, 0.5f);
  EXPECT_EQ(g.sampling.frequency_penalty, -0.5f);
  EXPECT_FLOAT_EQ(g.sampling.repeat_penalty, 1.1f);
  EXPECT_EQ(g.sampling.seed, 42u);
  EXPECT_EQ(g.stop, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(g.max_tokens, std::optional<int64_t>(9));
  EXPECT_TRUE(g.ignore_eos);
  EXPECT_TRUE(g.stream);
  EXPECT_TRUE(g.include_usage);
  EXPECT_TRUE(g.logprobs);
  EXPECT_EQ(g.top_logprobs, 3);
}

TEST(RequestParsingTest, SmallFieldVariants) {
  const Parsed off = parse(Api::kCompletions, R"({"prompt": "a", "top_k": -1, "stop": "x", "max_tokens": 16.0})");
  ASSERT_TRUE(off.status) << off.status.error().message();
  EXPECT_EQ(off.completion->params.sampling.top_k, 0);
  EXPECT_EQ(off.completion->params.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(off.completion->params.max_tokens, std::optional<int64_t>(16));
  const Parsed nulls = parse(Api::kCompletions, R"({"prompt": "a", "temperature": null, "stop": null, "n": null})");
  ASSERT_TRUE(nulls.status);
  EXPECT_EQ(nulls.completion->params.sampling.temperature, 1.0f);
  const Parsed zero_logprobs = parse(Api::kCompletions, R"({"prompt": "a", "logprobs": 0})");
  ASSERT_TRUE(zero_logprobs.status);
  EXPECT_TRUE(zero_logprobs.completion->params.logprobs);
  EXPECT_EQ(zero_logprobs.completion->params.top_logprobs, 0);
}

TEST(RequestParsingTest, MaxCompletionTokensWinsOverMaxTokens) {
  const Parsed p = parse(Api::kChat, R"({"messages": [{"role": "user", "content": "a"}], "max_tokens": 5,
                                         "max_completion_tokens": 7})");
  ASSERT_TRUE(p.status);
  EXPECT_EQ(p.chat->params.max_tokens, std::optional<int64_t>(7));
}

TEST(RequestParsingTest, ChatMessagesAreNormalised) {
  const Parsed p = parse(Api::kChat, R"({"messages": [
      {"role": "developer", "content": "be brief"},
      {"role": "user", "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}], "name": "ann"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                                                             "function": {"name": "f", "arguments": "{}"}}]},
      {"role": "tool", "content": "42", "tool_call_id": "c1"}],
      "logprobs": true, "top_logprobs": 2, "tools": [{"type": "function", "function": {"name": "f"}}],
      "chat_template_kwargs": {"enable_thinking": false}})");
  ASSERT_TRUE(p.status) << p.status.error().message();
  const Json& m = p.chat->conversation.messages;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0]["role"], "system");
  EXPECT_EQ(m[1]["content"], "one\ntwo");
  EXPECT_EQ(m[1]["name"], "ann");
  EXPECT_TRUE(m[2]["content"].is_null());
  EXPECT_EQ(m[2]["tool_calls"][0]["id"], "c1");
  EXPECT_EQ(m[3]["tool_call_id"], "c1");
  EXPECT_TRUE(p.chat->conversation.tools.is_array());
  EXPECT_EQ(p.chat->conversation.variables["enable_thinking"], false);
  EXPECT_TRUE(p.chat->params.logprobs);
  EXPECT_EQ(p.chat->params.top_logprobs, 2);
}

TEST(RequestParsingTest, TokenIdsAreCheckedAgainstTheVocabulary) {
  Json array = Json::array({0, kVocab - 1});
  Json holder = Json::object();
  FieldReader f(holder);
  auto ids = parse_token_ids(f, array, "tokens", kVocab);
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, (TokenIds{0, kVocab - 1}));
  array.push_back(kVocab);
  auto bad = parse_token_ids(f, array, "tokens", kVocab);
  ASSERT_FALSE(bad);
  EXPECT_EQ(f.failed_param(), std::optional<std::string>("tokens"));
}

TEST(JsonBodyTest, ParsesObjectsAndBoundsNesting) {
  EXPECT_TRUE(parse_json_body(R"({"a": [[[1]]], "b": "[[[[[[[[[[[[[["})", 4));
  EXPECT_FALSE(parse_json_body(R"({"a": [[[[1]]]]})", 4));
  EXPECT_FALSE(parse_json_body(""));
  EXPECT_FALSE(parse_json_body("\"text\""));
  EXPECT_EQ(dump_json(Json("a\xff")), "\"a\xef\xbf\xbd\"");
}

}  // namespace
}  // namespace rocmforge::server
