#include "chat/chat_template.h"

#include <fmt/format.h>

#include "chat/jinja/json_values.h"

namespace rocmforge::chat {
namespace {

// Variables apply() sets itself (as transformers passes them to render()).
constexpr std::string_view kReservedNames[] = {"messages", "tools", "documents", "add_generation_prompt", "bos_token",
                                               "eos_token"};

Status check_input(const ChatTemplateInput& input) {
  if (!input.messages.is_array()) return RF_ERROR(kInvalidArgument, "messages must be a JSON array");
  if (!input.tools.is_null() && !input.tools.is_array()) {
    return RF_ERROR(kInvalidArgument, "tools must be null or a JSON array");
  }
  if (!input.variables.is_object()) return RF_ERROR(kInvalidArgument, "template variables must be a JSON object");
  for (const auto& [name, value] : input.variables.items()) {
    for (std::string_view reserved : kReservedNames) {
      if (name == reserved) return RF_ERROR(kInvalidArgument, "template variable '{}' is set by the chat template itself", name);
    }
  }
  return ok();
}

}  // namespace

nlohmann::ordered_json to_json(std::span<const ChatMessage> messages) {
  auto out = nlohmann::ordered_json::array();
  for (const ChatMessage& m : messages) {
    nlohmann::ordered_json message = {{"role", m.role}, {"content", m.content}};
    for (const auto& [key, value] : m.fields.items()) message[key] = value;
    out.push_back(std::move(message));
  }
  return out;
}

Result<ChatTemplate> ChatTemplate::from_source(std::string_view source, SpecialTokenTexts tokens) {
  jinja::Template tmpl = RF_TRY(jinja::Template::parse(source));
  return ChatTemplate(std::move(tmpl), std::move(tokens), "");
}

std::vector<std::string_view> ChatTemplate::builtin_names() { return builtin_template_names(); }

Result<ChatTemplate> ChatTemplate::builtin(std::string_view name, SpecialTokenTexts tokens) {
  const auto source = builtin_template_source(name);
  if (!source) {
    return RF_ERROR(kNotFound, "no built-in chat template '{}' (built-in: {})", name, fmt::join(builtin_names(), ", "));
  }
  auto tmpl = jinja::Template::parse(*source);
  if (!tmpl) return std::move(tmpl).error().with_context(fmt::format("built-in chat template '{}'", name));
  return ChatTemplate(std::move(*tmpl), std::move(tokens), std::string(name));
}

Result<ChatTemplate> ChatTemplate::for_model(std::optional<std::string_view> model_template,
                                             std::string_view fallback, SpecialTokenTexts tokens) {
  if (model_template && !model_template->empty()) {
    auto tmpl = from_source(*model_template, std::move(tokens));
    if (!tmpl) return std::move(tmpl).error().with_context("the model's chat template");
    return tmpl;
  }
  return builtin(fallback, std::move(tokens));
}

Result<std::string> ChatTemplate::apply(const ChatTemplateInput& input, const jinja::RenderOptions& options) const {
  RF_TRY(check_input(input));
  std::vector<std::pair<std::string, jinja::Value>> variables;
  variables.emplace_back("messages", RF_TRY(jinja::from_json(input.messages)));
  variables.emplace_back("tools", RF_TRY(jinja::from_json(input.tools)));
  variables.emplace_back("documents", jinja::Value::none());
  variables.emplace_back("add_generation_prompt", jinja::Value::boolean(input.add_generation_prompt));
  variables.emplace_back("bos_token", jinja::Value::string(tokens_.bos));
  variables.emplace_back("eos_token", jinja::Value::string(tokens_.eos));
  for (const auto& [name, value] : input.variables.items()) variables.emplace_back(name, RF_TRY(jinja::from_json(value)));
  return template_.render(std::move(variables), options);
}

}  // namespace rocmforge::chat
