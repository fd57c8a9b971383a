// Turns a conversation into the prompt text a model was trained on, with the
// model's own chat template (GGUF `tokenizer.chat_template`), rendered as
// Hugging Face transformers renders it, or with a built-in format for a
// model that carries none.
//
// Messages, tools and extra variables are JSON in OpenAI's shapes, so the
// server can pass a request's fields straight in. Objects keep their key
// order: `tojson` in a template prints them as the client sent them, as
// transformers does.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/render_options.h"
#include "chat/jinja/template.h"
#include "rocmforge/error.h"

namespace rocmforge::chat {

// One message, for callers that build a conversation in code.
struct ChatMessage {
  std::string role;
  std::string content;
  // Other fields, as OpenAI names them: tool_calls, tool_call_id, name,
  // reasoning_content, ...
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
};

// [{"role": ..., "content": ..., <fields>...}, ...]
nlohmann::ordered_json to_json(std::span<const ChatMessage> messages);

// The texts of the vocabulary's BOS and EOS tokens ("" when it has none).
struct SpecialTokenTexts {
  std::string bos;
  std::string eos;
};

struct ChatTemplateInput {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // null when the request offers no tools (templates see `tools` as none, as
  // with transformers), else an array of tool definitions.
  nlohmann::ordered_json tools = nullptr;
  bool add_generation_prompt = true;
  // More template variables (enable_thinking, date_string, ...); none may
  // reuse the names set above or bos_token/eos_token/documents.
  nlohmann::ordered_json variables = nlohmann::ordered_json::object();
};

class ChatTemplate {
 public:
  // A template's source (from a model or a file). kParse with line and
  // column when it does not parse.
  static Result<ChatTemplate> from_source(std::string_view source, SpecialTokenTexts tokens);
  // A built-in format (builtin_names()); kNotFound for another name.
  static Result<ChatTemplate> builtin(std::string_view name, SpecialTokenTexts tokens);
  static std::vector<std::string_view> builtin_names();
  // The model's template when it has one (non-empty), else the built-in
  // `fallback`; uses_builtin() tells the caller which.
  static Result<ChatTemplate> for_model(std::optional<std::string_view> model_template, std::string_view fallback,
                                        SpecialTokenTexts tokens);

  // The prompt. kInvalidArgument for malformed input or when the template
  // rejects the conversation (its raise_exception message is the error's
  // whole message); kCapacity when a render limit is hit.
  Result<std::string> apply(const ChatTemplateInput& input, const jinja::RenderOptions& options = {}) const;

  bool uses_builtin() const { return !builtin_name_.empty(); }
  const std::string& builtin_name() const { return builtin_name_; }  // "" for a model's or file's template

 private:
  ChatTemplate(jinja::Template tmpl, SpecialTokenTexts tokens, std::string builtin_name)
      : template_(std::move(tmpl)), tokens_(std::move(tokens)), builtin_name_(std::move(builtin_name)) {}

  jinja::Template template_;
  SpecialTokenTexts tokens_;
  std::string builtin_name_;
};

// The built-in formats (builtin_templates.cpp): their names, and the source
// of one (nullopt for an unknown name).
std::vector<std::string_view> builtin_template_names();
std::optional<std::string_view> builtin_template_source(std::string_view name);

}  // namespace rocmforge::chat
