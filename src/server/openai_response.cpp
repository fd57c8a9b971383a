#include "server/openai_response.h"

#include <algorithm>

namespace rocmforge::server {
namespace {

// JSON has no -inf: a token the model rules out gets vLLM's floor instead.
double reportable(std::optional<float> logprob) { return std::max(-9999.0, static_cast<double>(logprob.value_or(-9999.0f))); }

Json bytes_of(const std::string& piece) {
  Json out = Json::array();
  for (const char c : piece) out.push_back(static_cast<unsigned char>(c));
  return out;
}

}  // namespace

Json usage_json(const engine::Usage& usage) {
  Json u = Json::object();
  u["prompt_tokens"] = usage.prompt_tokens;
  u["completion_tokens"] = usage.completion_tokens;
  u["total_tokens"] = usage.prompt_tokens + usage.completion_tokens;
  u["prompt_tokens_details"] = Json{{"cached_tokens", usage.cached_prompt_tokens}};
  return u;
}

ResponseBuilder::ResponseBuilder(ResponseShape shape, const tokenizer::Tokenizer& tokenizer)
    : shape_(std::move(shape)), tokenizer_(tokenizer), text_(shape_.echo), logprobs_(empty_logprobs()) {
  text_offset_ = static_cast<int64_t>(shape_.echo.size());
}

Json ResponseBuilder::empty_logprobs() const {
  if (shape_.api == Api::kChat) return {{"content", Json::array()}};
  return {{"tokens", Json::array()}, {"token_logprobs", Json::array()}, {"top_logprobs", Json::array()},
          {"text_offset", Json::array()}};
}

Json ResponseBuilder::chunk(Json choice) const {
  Json c = Json::object();
  c["id"] = shape_.id;
  c["object"] = shape_.api == Api::kChat ? "chat.completion.chunk" : "text_completion";
  c["created"] = shape_.created;
  c["model"] = shape_.model;
  Json indexed = {{"index", 0}};
  indexed.update(choice);
  c["choices"] = Json::array({std::move(indexed)});
  if (shape_.include_usage) c["usage"] = nullptr;
  return c;
}

void ResponseBuilder::add_logprobs(Json& into, const engine::GeneratedToken& token) {
  const std::string piece = tokenizer_.token_to_piece(token.id, true);
  const double logprob = reportable(token.logprob);
  if (shape_.api == Api::kChat) {
    Json alternatives = Json::array();
    for (const engine::TokenLogprob& alt : token.top_logprobs) {
      const std::string alt_piece = tokenizer_.token_to_piece(alt.token, true);
      alternatives.push_back({{"token", alt_piece}, {"logprob", reportable(alt.logprob)}, {"bytes", bytes_of(alt_piece)}});
    }
    into["content"].push_back(
        {{"token", piece}, {"logprob", logprob}, {"bytes", bytes_of(piece)}, {"top_logprobs", std::move(alternatives)}});
    return;
  }
  // Completions: parallel arrays; the sampled token is always among the alternatives, as OpenAI reports it.
  Json top = Json::object();
  for (const engine::TokenLogprob& alt : token.top_logprobs) {
    top[tokenizer_.token_to_piece(alt.token, true)] = reportable(alt.logprob);
  }
  if (!top.contains(piece)) top[piece] = logprob;
  into["tokens"].push_back(piece);
  into["token_logprobs"].push_back(logprob);
  into["top_logprobs"].push_back(std::move(top));
  into["text_offset"].push_back(text_offset_);
  text_offset_ += static_cast<int64_t>(piece.size());
}

std::vector<Json> ResponseBuilder::stream_start() {
  if (shape_.api == Api::kChat) {
    return {chunk({{"delta", {{"role", "assistant"}, {"content", ""}}}, {"logprobs", nullptr}, {"finish_reason", nullptr}})};
  }
  if (shape_.echo.empty()) return {};
  return {chunk({{"text", shape_.echo}, {"logprobs", nullptr}, {"finish_reason", nullptr}})};
}

std::vector<Json> ResponseBuilder::stream_event(const engine::Event& event) {
  const bool with_logprobs = shape_.logprobs && event.token;
  if (event.text.empty() && !with_logprobs) return {};
  Json logprobs = nullptr;
  if (with_logprobs) {
    logprobs = empty_logprobs();
    add_logprobs(logprobs, *event.token);
  }
  if (shape_.api == Api::kChat) {
    return {chunk({{"delta", {{"content", event.text}}}, {"logprobs", std::move(logprobs)}, {"finish_reason", nullptr}})};
  }
  return {chunk({{"text", event.text}, {"logprobs", std::move(logprobs)}, {"finish_reason", nullptr}})};
}

std::vector<Json> ResponseBuilder::stream_finish(const engine::Finish& finish) {
  const std::string reason(engine::finish_reason_name(finish.reason));
  std::vector<Json> out;
  if (shape_.api == Api::kChat) {
    out.push_back(chunk({{"delta", Json::object()}, {"logprobs", nullptr}, {"finish_reason", reason}}));
  } else {
    out.push_back(chunk({{"text", ""}, {"logprobs", nullptr}, {"finish_reason", reason}}));
  }
  if (shape_.include_usage) {
    Json c = chunk(Json::object());
    c["choices"] = Json::array();
    c["usage"] = usage_json(finish.usage);
    out.push_back(std::move(c));
  }
  return out;
}

void ResponseBuilder::append(const engine::Event& event) {
  text_ += event.text;
  if (shape_.logprobs && event.token) add_logprobs(logprobs_, *event.token);
}

Json ResponseBuilder::body(const engine::Finish& finish) const {
  const Json logprobs = shape_.logprobs ? logprobs_ : Json(nullptr);
  Json choice = Json::object();
  choice["index"] = 0;
  if (shape_.api == Api::kChat) {
    choice["message"] = {{"role", "assistant"}, {"content", text_}};
  } else {
    choice["text"] = text_;
  }
  choice["logprobs"] = logprobs;
  choice["finish_reason"] = std::string(engine::finish_reason_name(finish.reason));
  Json b = Json::object();
  b["id"] = shape_.id;
  b["object"] = shape_.api == Api::kChat ? "chat.completion" : "text_completion";
  b["created"] = shape_.created;
  b["model"] = shape_.model;
  b["choices"] = Json::array({std::move(choice)});
  b["usage"] = usage_json(finish.usage);
  return b;
}

}  // namespace rocmforge::server
