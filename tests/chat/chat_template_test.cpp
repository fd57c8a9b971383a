// ChatTemplate: the variables it passes (as transformers does), built-in
// formats, the fallback for models without a template, input checks.
#include <gtest/gtest.h>

#include "chat/chat_template.h"
#include "test_support.h"

namespace rocmforge::chat {
namespace {

using testing::read_data_text;

ChatTemplate from_source(std::string_view source) {
  auto t = ChatTemplate::from_source(source, {"<s>", "</s>"});
  EXPECT_TRUE(t.has_value()) << t.error().message();
  return std::move(t).value();
}

TEST(ChatTemplate, PassesTransformersVariables) {
  const ChatTemplate t = from_source(
      "{{ bos_token }}|{{ eos_token }}|{{ add_generation_prompt }}|{{ tools is none }}|{{ documents is none }}|"
      "{{ messages|length }}|{{ enable_thinking }}");
  ChatTemplateInput input;
  input.messages = nlohmann::ordered_json::array({{{"role", "user"}, {"content", "hi"}}});
  input.variables = {{"enable_thinking", false}};
  EXPECT_EQ(t.apply(input).value_or("error"), "<s>|</s>|True|True|True|1|False");
  input.add_generation_prompt = false;
  input.tools = nlohmann::ordered_json::array({{{"type", "function"}}});
  EXPECT_EQ(t.apply(input).value_or("error"), "<s>|</s>|False|False|True|1|False");
}

TEST(ChatTemplate, MessagesFromCode) {
  const std::vector<ChatMessage> messages = {
      {"system", "Be brief.", nlohmann::ordered_json::object()},
      {"assistant", "", {{"tool_calls", nlohmann::ordered_json::array({{{"id", "1"}}})}}},
  };
  const auto json = to_json(messages);
  EXPECT_EQ(json.dump(), R"([{"role":"system","content":"Be brief."},{"role":"assistant","content":"","tool_calls":[{"id":"1"}]}])");
  const ChatTemplate t = from_source("{% for m in messages %}{{ m.role }}:{{ m.tool_calls|length }};{% endfor %}");
  ChatTemplateInput input;
  input.messages = json;
  EXPECT_EQ(t.apply(input).value_or("error"), "system:0;assistant:1;");
}

TEST(ChatTemplate, RejectsMalformedInput) {
  const ChatTemplate t = from_source("x");
  ChatTemplateInput input;
  input.messages = nlohmann::ordered_json::object();
  EXPECT_EQ(t.apply(input).error().code(), ErrorCode::kInvalidArgument);
  input.messages = nlohmann::ordered_json::array();
  input.tools = "not tools";
  EXPECT_EQ(t.apply(input).error().code(), ErrorCode::kInvalidArgument);
  input.tools = nullptr;
  input.variables = {{"messages", 1}};
  const auto r = t.apply(input);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(), "template variable 'messages' is set by the chat template itself");
}

TEST(ChatTemplate, TemplateRejectionIsInvalidArgumentWithItsMessage) {
  auto t = ChatTemplate::builtin("llama2", {"<s>", "</s>"});
  ASSERT_TRUE(t.has_value());
  ChatTemplateInput input;
  input.messages = nlohmann::ordered_json::array({{{"role", "user"}, {"content", "a"}}, {{"role", "user"}, {"content", "b"}}});
  const auto r = t->apply(input);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message(), "Conversation roles must alternate user/assistant/user/assistant/...");
}

TEST(ChatTemplate, BuiltinsAreTheRealTemplates) {
  const std::pair<const char*, const char*> fixtures[] = {
      {"chatml", "chatml"}, {"llama2", "llama2"},         {"llama3", "llama3"}, {"mistral", "mistral-v1"},
      {"mistral-v7", "mistral-v7"}, {"gemma", "gemma3"}, {"phi3", "phi3.5"},   {"phi4", "phi4"},
      {"zephyr", "zephyr"}, {"vicuna", "vicuna"},
  };
  EXPECT_EQ(ChatTemplate::builtin_names().size(), std::size(fixtures));
  for (const auto& [name, fixture] : fixtures) {
    const auto source = builtin_template_source(name);
    ASSERT_TRUE(source.has_value()) << name;
    EXPECT_EQ(*source, read_data_text(std::string("templates/") + fixture + ".jinja")) << name;
    EXPECT_TRUE(ChatTemplate::builtin(name, {}).has_value()) << name;
  }
  const auto unknown = ChatTemplate::builtin("nope", {});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(unknown.error().message().find("chatml, llama2"), std::string::npos);
}

TEST(ChatTemplate, ForModelFallsBackToABuiltin) {
  ChatTemplateInput input;
  input.messages = nlohmann::ordered_json::array({{{"role", "user"}, {"content", "hi"}}});
  const auto own = ChatTemplate::for_model("[{{ messages[0].content }}]", "chatml", {});
  ASSERT_TRUE(own.has_value());
  EXPECT_FALSE(own->uses_builtin());
  EXPECT_EQ(own->apply(input).value_or("error"), "[hi]");
  for (const std::optional<std::string_view> missing : {std::optional<std::string_view>(), std::optional<std::string_view>("")}) {
    const auto fallback = ChatTemplate::for_model(missing, "chatml", {});
    ASSERT_TRUE(fallback.has_value());
    EXPECT_TRUE(fallback->uses_builtin());
    EXPECT_EQ(fallback->builtin_name(), "chatml");
    EXPECT_EQ(fallback->apply(input).value_or("error"), "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  }
  const auto broken = ChatTemplate::for_model("{% if %}", "chatml", {});
  ASSERT_FALSE(broken.has_value());
  EXPECT_EQ(broken.error().code(), ErrorCode::kParse);
  EXPECT_EQ(broken.error().message().rfind("the model's chat template: line 1, column 7", 0), 0u) << broken.error().message();
}

}  // namespace
}  // namespace rocmforge::chat
