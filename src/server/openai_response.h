// OpenAI-shaped answers built from the engine's events: the whole body of
// a non-streaming response, or the chunks of a stream (text_completion /
// chat.completion.chunk objects), with log-probabilities in each endpoint's
// format and `usage` with prompt_tokens_details.cached_tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/request.h"
#include "server/json_text.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::server {

enum class Api { kCompletions, kChat };

struct ResponseShape {
  Api api = Api::kCompletions;
  std::string id;  // "cmpl-..." or "chatcmpl-..."
  int64_t created = 0;
  std::string model;
  bool logprobs = false;       // report each token's log-probability (and its alternatives)
  bool include_usage = false;  // streaming: "usage": null in every chunk, then a usage chunk
  std::string echo;            // completions: the prompt's text, put before the completion
};

class ResponseBuilder {
 public:
  // `tokenizer` must outlive the builder.
  ResponseBuilder(ResponseShape shape, const tokenizer::Tokenizer& tokenizer);

  // Streaming. The chunks that open the stream: chat's role delta, or the
  // echoed prompt.
  std::vector<Json> stream_start();
  // The chunk of one event's text and token (none when it carries neither);
  // the event's finish is not looked at.
  std::vector<Json> stream_event(const engine::Event& event);
  // The finish_reason chunk, then the usage chunk when asked for. Only for
  // kStop and kLength: other reasons are errors.
  std::vector<Json> stream_finish(const engine::Finish& finish);

  // Not streaming: events are appended, then body() once finished (kStop or kLength).
  void append(const engine::Event& event);
  Json body(const engine::Finish& finish) const;

 private:
  Json chunk(Json choice) const;
  Json empty_logprobs() const;  // the endpoint's logprobs object with no token yet
  void add_logprobs(Json& into, const engine::GeneratedToken& token);

  ResponseShape shape_;
  const tokenizer::Tokenizer& tokenizer_;
  std::string text_;
  Json logprobs_;            // accumulated for body()
  int64_t text_offset_ = 0;  // completions' text_offset of the next token
};

// {"prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details": {"cached_tokens"}}
Json usage_json(const engine::Usage& usage);

}  // namespace rocmforge::server
