#include "server/openai_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace rocmforge::server {
namespace {

// `prompt`: a string, [string], [ids...] or [[ids...]].
Result<std::variant<std::string, TokenIds>> read_prompt(FieldReader& f, int32_t n_vocab) {
  const Json* v = f.find("prompt");
  if (!v) return f.invalid("prompt", "missing required parameter: 'prompt'");
  if (v->is_string()) return std::variant<std::string, TokenIds>(v->get<std::string>());
  if (!v->is_array()) return f.type_error("prompt", "a string, an array of token ids, or an array of one of them", *v);
  if (v->empty()) return f.invalid("prompt", "'prompt' is an empty array");
  const Json& first = v->front();
  if (first.is_number()) return std::variant<std::string, TokenIds>(RF_TRY(parse_token_ids(f, *v, "prompt", n_vocab)));
  if (v->size() > 1) {
    return f.unsupported("prompt", fmt::format("one prompt per request is supported, got {}", v->size()));
  }
  if (first.is_string()) return std::variant<std::string, TokenIds>(first.get<std::string>());
  if (first.is_array()) {
    if (first.empty()) return f.invalid("prompt", "'prompt' holds an empty array of token ids");
    return std::variant<std::string, TokenIds>(RF_TRY(parse_token_ids(f, first, "prompt", n_vocab)));
  }
  return f.type_error("prompt", "a string, an array of token ids, or an array of one of them", first);
}

constexpr std::array<std::string_view, 5> kRoles = {"system", "developer", "user", "assistant", "tool"};

// Content parts: text parts are joined by newlines; other kinds are refused.
Result<std::string> join_text_parts(FieldReader& f, const Json& parts, const std::string& where) {
  std::string text;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Json& part = parts[i];
    const std::string at = fmt::format("{}[{}]", where, i);
    if (!part.is_object()) return f.type_error(at, "a content part object", part);
    const Json* type = find_member(part, "type");
    if (!type || !type->is_string()) return f.invalid(at, fmt::format("'{}.type' must be a string", at));
    const std::string kind = type->get<std::string>();
    if (kind != "text") {
      if (kind == "image_url" || kind == "input_audio" || kind == "file" || kind == "video_url") {
        return f.unsupported(at, fmt::format("content parts of type '{}' are not supported (text only)", kind));
      }
      return f.invalid(at, fmt::format("unknown content part type '{}'", kind));
    }
    const Json* value = find_member(part, "text");
    if (!value || !value->is_string()) return f.invalid(at, fmt::format("'{}.text' must be a string", at));
    if (i > 0) text += '\n';
    text += value->get<std::string>();
  }
  return text;
}

Result<Json> normalize_message(FieldReader& f, const Json& m, size_t index) {
  const std::string where = fmt::format("messages[{}]", index);
  if (!m.is_object()) return f.type_error(where, "an object", m);
  const Json* role_value = find_member(m, "role");
  if (!role_value || !role_value->is_string()) {
    return f.invalid(where + ".role", fmt::format("'{}.role' must be a string", where));
  }
  const std::string role = role_value->get<std::string>();
  if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end()) {
    return f.invalid(where + ".role", fmt::format("unknown role '{}' (system, developer, user, assistant, tool)", role));
  }
  Json out = Json::object();
  out["role"] = role == "developer" ? "system" : role;
  const Json* content = find_member(m, "content");
  if (!content) {
    if (role != "assistant") return f.invalid(where + ".content", fmt::format("'{}.content' is required", where));
    out["content"] = nullptr;  // an assistant turn that only calls tools
  } else if (content->is_string()) {
    out["content"] = content->get<std::string>();
  } else if (content->is_array()) {
    out["content"] = RF_TRY(join_text_parts(f, *content, where + ".content"));
  } else {
    return f.type_error(where + ".content", "a string or an array of content parts", *content);
  }
  for (const auto& [key, value] : m.items()) {
    if (key == "role" || key == "content") continue;
    if (key == "name" && !value.is_string()) return f.type_error(where + ".name", "a string", value);
    out[key] = value;  // tool_calls, tool_call_id, name, reasoning_content ...
  }
  return out;
}

Result<chat::ChatTemplateInput> read_conversation(FieldReader& f) {
  chat::ChatTemplateInput input;
  const Json* messages = f.find("messages");
  if (!messages) return f.invalid("messages", "missing required parameter: 'messages'");
  if (!messages->is_array()) return f.type_error("messages", "an array", *messages);
  if (messages->empty()) return f.invalid("messages", "'messages' must hold at least one message");
  for (size_t i = 0; i < messages->size(); ++i) input.messages.push_back(RF_TRY(normalize_message(f, (*messages)[i], i)));
  if (const Json* tools = f.find("tools")) {
    if (!tools->is_array()) return f.type_error("tools", "an array", *tools);
    if (!tools->empty()) input.tools = *tools;
  }
  if (const Json* kwargs = f.find("chat_template_kwargs")) {
    if (!kwargs->is_object()) return f.type_error("chat_template_kwargs", "an object", *kwargs);
    input.variables = *kwargs;
  }
  return input;
}

}  // namespace

Result<CompletionRequest> parse_completion_request(FieldReader& f, const RequestLimits& limits) {
  CompletionRequest r;
  r.prompt = RF_TRY(read_prompt(f, limits.n_vocab));
  r.params = RF_TRY(parse_generation_params(f, limits));
  if (auto n = RF_TRY(f.integer("logprobs", 0, limits.max_logprobs))) {
    r.params.logprobs = true;
    r.params.top_logprobs = static_cast<int32_t>(*n);
  }
  r.echo = RF_TRY(f.boolean("echo")).value_or(false);
  if (r.echo && r.params.logprobs) {
    return f.unsupported("echo", "'echo' with 'logprobs' (log-probabilities of the prompt) is not supported");
  }
  if (auto suffix = RF_TRY(f.string("suffix")); suffix && !suffix->empty()) {
    return f.unsupported("suffix", "'suffix' (insertion) is not supported");
  }
  return r;
}

Result<ChatRequest> parse_chat_request(FieldReader& f, const RequestLimits& limits) {
  ChatRequest r;
  r.conversation = RF_TRY(read_conversation(f));
  r.params = RF_TRY(parse_generation_params(f, limits));
  r.params.logprobs = RF_TRY(f.boolean("logprobs")).value_or(false);
  if (auto k = RF_TRY(f.integer("top_logprobs", 0, limits.max_logprobs))) {
    if (!r.params.logprobs) return f.invalid("top_logprobs", "'top_logprobs' needs 'logprobs' to be true");
    r.params.top_logprobs = static_cast<int32_t>(*k);
  }
  return r;
}

}  // namespace rocmforge::server
