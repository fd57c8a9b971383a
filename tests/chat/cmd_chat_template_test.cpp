// rocmforge chat-template, run as a child process on vocabulary-only GGUF
// files written here: one carrying a chat template, one without.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "chat/chat_template.h"
#include "gguf/gguf_writer.h"
#include "test_support.h"
#include "testing/subprocess.h"
#include "testing/test_paths.h"

namespace rocmforge::chat {
namespace {

using rocmforge::testing::cli_path;
using rocmforge::testing::run_command;
using rocmforge::testing::RunResult;

std::filesystem::path temp_path(const std::string& name) {
  return std::filesystem::temp_directory_path() / ("rocmforge_chat_template_" + name);
}

std::string write_text(const std::string& name, const std::string& text) {
  const auto path = temp_path(name);
  std::ofstream(path, std::ios::binary) << text;
  return path.string();
}

// A SentencePiece vocabulary (<unk>, <s>, </s>, two words) and, when given,
// a chat template.
std::string write_model(const std::string& name, const std::optional<std::string>& chat_template) {
  gguf::GgufWriter writer;
  writer.set_string("general.architecture", "llama");
  writer.set_string("tokenizer.ggml.model", "llama");
  writer.set_string_array("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81hi", "\xE2\x96\x81there"});
  const std::vector<float> scores = {0, 0, 0, -1, -2};
  writer.set_f32_array("tokenizer.ggml.scores", scores);
  const std::vector<int32_t> types = {2, 3, 3, 1, 1};
  writer.set_i32_array("tokenizer.ggml.token_type", types);
  writer.set_u32("tokenizer.ggml.bos_token_id", 1);
  writer.set_u32("tokenizer.ggml.eos_token_id", 2);
  if (chat_template) writer.set_string("tokenizer.chat_template", *chat_template);
  const auto path = temp_path(name + ".gguf");
  EXPECT_TRUE(writer.write(path.string()).has_value());
  return path.string();
}

const nlohmann::ordered_json kConversation = nlohmann::ordered_json::parse(R"([
  {"role": "system", "content": "Be brief."},
  {"role": "user", "content": "Hello"},
  {"role": "assistant", "content": "Hi there!"},
  {"role": "user", "content": "Bye"}
])");

class ChatTemplateCli : public ::testing::Test {
 protected:
  void SetUp() override {
    llama2_source_ = testing::read_data_text("templates/llama2.jinja");
    with_template_ = write_model("with", llama2_source_);
    without_template_ = write_model("without", std::nullopt);
    messages_ = write_text("messages.json", kConversation.dump());
  }

  // What ChatTemplate renders for the conversation, in this process.
  static std::string expected(const Result<ChatTemplate>& tmpl, bool add_generation_prompt = true) {
    EXPECT_TRUE(tmpl.has_value());
    ChatTemplateInput input;
    input.messages = kConversation;
    input.add_generation_prompt = add_generation_prompt;
    return tmpl->apply(input).value();
  }

  static RunResult chat_template(std::vector<std::string> args, const std::string& stdin_text = {}) {
    args.insert(args.begin(), {cli_path(), "chat-template"});
    return run_command(args, stdin_text);
  }

  std::string llama2_source_;
  std::string with_template_;
  std::string without_template_;
  std::string messages_;
};

TEST_F(ChatTemplateCli, RendersTheModelsTemplateWithItsSpecialTokens) {
  const RunResult r = chat_template({"-m", with_template_, "--messages", messages_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, expected(ChatTemplate::from_source(llama2_source_, {"<s>", "</s>"})));
  EXPECT_EQ(r.out,
            "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello [/INST] Hi there! </s><s>[INST] Bye [/INST]");
}

TEST_F(ChatTemplateCli, FallsBackToChatmlAndSaysSo) {
  const RunResult r = chat_template({"-m", without_template_, "--messages", messages_});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "model has no chat template; using built-in 'chatml'\n");
  EXPECT_EQ(r.out, expected(ChatTemplate::builtin("chatml", {"<s>", "</s>"})));
  EXPECT_TRUE(r.out.ends_with("<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n")) << r.out;
}

TEST_F(ChatTemplateCli, NoGenerationPrompt) {
  const RunResult r = chat_template({"-m", without_template_, "--messages", messages_, "--no-generation-prompt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, expected(ChatTemplate::builtin("chatml", {"<s>", "</s>"}), false));
  EXPECT_TRUE(r.out.ends_with("Bye<|im_end|>\n")) << r.out;
}

TEST_F(ChatTemplateCli, TemplateFromAFileOrABuiltinReplacesTheModels) {
  const std::string file = write_text("custom.jinja", "{% for m in messages %}{{ m.role[0] }}:{{ m.content }};{% endfor %}{{ eos_token }}");
  const RunResult from_file = chat_template({"-m", with_template_, "--messages", messages_, "--chat-template-file", file});
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(from_file.out, "s:Be brief.;u:Hello;a:Hi there!;u:Bye;</s>");

  const RunResult builtin = chat_template({"-m", with_template_, "--messages", messages_, "--chat-template", "zephyr"});
  ASSERT_EQ(builtin.exit_code, 0) << builtin.err;
  EXPECT_EQ(builtin.err, "");
  EXPECT_EQ(builtin.out, expected(ChatTemplate::builtin("zephyr", {"<s>", "</s>"})));

  const RunResult both = chat_template(
      {"-m", with_template_, "--messages", messages_, "--chat-template", "zephyr", "--chat-template-file", file});
  EXPECT_NE(both.exit_code, 0);
}

TEST_F(ChatTemplateCli, MessagesObjectCarriesToolsAndVariables) {
  const std::string file = write_text("vars.jinja", "{{ tools|length }} {{ enable_thinking }} {{ messages|length }}");
  const std::string messages = write_text(
      "object.json", R"({"messages": [{"role": "user", "content": "x"}], "tools": [{"type": "function"}], "enable_thinking": false})");
  const RunResult r = chat_template({"-m", without_template_, "--messages", messages, "--chat-template-file", file});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "1 False 1");
  const RunResult from_stdin = chat_template({"-m", without_template_, "--messages", "-", "--chat-template-file", file},
                                             R"({"messages": [], "tools": []})");
  ASSERT_EQ(from_stdin.exit_code, 0) << from_stdin.err;
  EXPECT_EQ(from_stdin.out, "0  0");
}

TEST_F(ChatTemplateCli, ErrorsAreOneLineAndExitCodeOne) {
  const std::string bad_json = write_text("bad.json", "[{");
  RunResult r = chat_template({"-m", with_template_, "--messages", bad_json});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "rocmforge: error: messages file '" + bad_json + "' is not valid JSON\n");

  const std::string two_users = write_text("two_users.json", R"([{"role": "user", "content": "a"}, {"role": "user", "content": "b"}])");
  r = chat_template({"-m", with_template_, "--messages", two_users});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "rocmforge: error: Conversation roles must alternate user/assistant/user/assistant/...\n");

  const std::string broken = write_model("broken", "ok\n{% for x in %}");
  r = chat_template({"-m", broken, "--messages", messages_});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "rocmforge: error: the model's chat template: line 2, column 13: expected an expression, got '%}'\n");

  r = chat_template({"-m", with_template_, "--messages", temp_path("missing.json").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cannot read messages file"), std::string::npos) << r.err;

  r = chat_template({"-m", with_template_, "--messages", messages_, "--chat-template", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no built-in chat template 'nope'"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace rocmforge::chat
