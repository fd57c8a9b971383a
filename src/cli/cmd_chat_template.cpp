// rocmforge chat-template: prints the prompt a model's chat template makes of
// a conversation, for people debugging a template. Only the vocabulary and
// metadata are read, so vocabulary-only GGUF files work too.
//
// The messages file holds an OpenAI-style messages array, or an object with
// "messages", optional "tools", and any other template variables
// (enable_thinking, ...).
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "chat/chat_template.h"
#include "cli/command.h"
#include "gguf/gguf_file.h"
#include "tokenizer/vocab.h"

namespace rocmforge::cli {
namespace {

constexpr std::string_view kChatTemplateKey = "tokenizer.chat_template";
constexpr std::string_view kDefaultBuiltin = "chatml";

struct ChatTemplateOptions {
  std::string model;
  std::string messages_file;
  std::string template_file;
  std::string builtin;
  bool no_generation_prompt = false;
};

Result<std::string> read_file(const std::string& path, std::string_view what) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return RF_ERROR(kNotFound, "cannot read {} '{}'", what, path);
  text << in.rdbuf();
  return text.str();
}

Result<chat::ChatTemplateInput> read_conversation(const std::string& path) {
  const std::string text = RF_TRY(read_file(path, "messages file"));
  auto json = nlohmann::ordered_json::parse(text, nullptr, false);
  if (json.is_discarded()) return RF_ERROR(kParse, "messages file '{}' is not valid JSON", path);
  chat::ChatTemplateInput input;
  if (json.is_array()) {
    input.messages = std::move(json);
    return input;
  }
  if (!json.is_object() || !json.contains("messages")) {
    return RF_ERROR(kInvalidArgument, "messages file '{}' must hold a messages array or an object with \"messages\"",
                    path);
  }
  for (auto& [key, value] : json.items()) {
    if (key == "messages") {
      input.messages = std::move(value);
    } else if (key == "tools") {
      input.tools = std::move(value);
    } else {
      input.variables[key] = std::move(value);
    }
  }
  return input;
}

std::string token_text(const tokenizer::Vocab& vocab, std::optional<tokenizer::TokenId> id) {
  return id && vocab.contains(*id) ? vocab.token(*id).text : std::string();
}

Result<chat::ChatTemplate> choose_template(const ChatTemplateOptions& o, const gguf::GgufFile& file,
                                           chat::SpecialTokenTexts tokens) {
  if (!o.template_file.empty()) {
    const std::string source = RF_TRY(read_file(o.template_file, "chat template file"));
    auto tmpl = chat::ChatTemplate::from_source(source, std::move(tokens));
    if (!tmpl) return std::move(tmpl).error().with_context(fmt::format("'{}'", o.template_file));
    return tmpl;
  }
  if (!o.builtin.empty()) return chat::ChatTemplate::builtin(o.builtin, std::move(tokens));
  const std::optional<std::string_view> own = RF_TRY(file.find_string(kChatTemplateKey));
  auto tmpl = RF_TRY(chat::ChatTemplate::for_model(own, kDefaultBuiltin, std::move(tokens)));
  if (tmpl.uses_builtin()) {
    std::fprintf(stderr, "model has no chat template; using built-in '%s'\n", tmpl.builtin_name().c_str());
  }
  return tmpl;
}

Status run_chat_template(const ChatTemplateOptions& o) {
  chat::ChatTemplateInput input = RF_TRY(read_conversation(o.messages_file));
  input.add_generation_prompt = !o.no_generation_prompt;
  const gguf::GgufFile file = RF_TRY(gguf::GgufFile::open(o.model));
  const tokenizer::Vocab vocab = RF_TRY(tokenizer::Vocab::from_gguf(file));
  chat::SpecialTokenTexts tokens{token_text(vocab, vocab.special().bos), token_text(vocab, vocab.special().eos)};
  const chat::ChatTemplate tmpl = RF_TRY(choose_template(o, file, std::move(tokens)));
  const std::string prompt = RF_TRY(tmpl.apply(input));
  // The prompt exactly, without a newline of our own.
  if (std::fwrite(prompt.data(), 1, prompt.size(), stdout) != prompt.size() || std::fflush(stdout) != 0) {
    return RF_ERROR(kIo, "cannot write to stdout");
  }
  return ok();
}

}  // namespace

Subcommand add_chat_template_command(CLI::App& root) {
  auto options = std::make_shared<ChatTemplateOptions>();
  CLI::App* app = root.add_subcommand("chat-template", "Print the prompt a model's chat template makes of a conversation");
  app->add_option("-m,--model", options->model, "GGUF file (a vocabulary-only file is enough)")->required();
  app->add_option("--messages", options->messages_file,
                  "JSON file ('-' for stdin): a messages array, or an object with \"messages\", \"tools\" and other "
                  "template variables")
      ->required();
  app->add_flag("--no-generation-prompt", options->no_generation_prompt,
                "Do not open the assistant's turn at the end (add_generation_prompt = false)");
  CLI::Option* file = app->add_option("--chat-template-file", options->template_file,
                                      "Use this Jinja template instead of the model's");
  app->add_option("--chat-template", options->builtin,
                  fmt::format("Use a built-in format instead of the model's: {}",
                              fmt::join(chat::ChatTemplate::builtin_names(), ", ")))
      ->excludes(file);
  return {app, [options] { return run_chat_template(*options); }};
}

}  // namespace rocmforge::cli
