// The OpenAI request bodies this server takes, parsed and validated.
//
// /v1/completions: `prompt` is one string, an array of one string, an array
// of token ids, or an array of one such array (several prompts in one
// request are refused); `echo`; `logprobs` (0..20 alternatives); `suffix`
// only empty. /v1/chat/completions: `messages` with roles system,
// developer (rendered as system), user, assistant and tool, content as a
// string or text parts (joined by newlines); `tools` and
// `chat_template_kwargs` go to the chat template; `logprobs` with
// `top_logprobs` (0..20).
//
// Both: temperature [0, 2] (default 1), top_p [0, 1] (default 1), top_k
// (-1 or 0: off, the default), min_p [0, 1] (default 0), presence_penalty
// and frequency_penalty [-2, 2], repetition_penalty (0, 10] (the penalties
// look back over the whole context), seed, stop (a string or up to 16
// non-empty strings), max_tokens / max_completion_tokens (>= 1; default 16
// for completions, up to the context for chat), ignore_eos, stream,
// stream_options.include_usage, n (1 only), and `model` (checked by the
// caller). Other fields are ignored, except those whose meaning this server
// cannot honour (n > 1, best_of > 1, logit_bias, a non-text
// response_format), which are refused rather than silently dropped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "chat/chat_template.h"
#include "engine/sampling_params.h"
#include "server/field_reader.h"

namespace rocmforge::server {

struct RequestLimits {
  int32_t n_vocab = 0;        // token ids must be below it
  int32_t max_logprobs = 20;  // alternatives per token
  size_t max_stop = 16;       // stop strings
};

struct GenerationParams {
  std::optional<std::string> model;
  engine::SamplingParams sampling;    // OpenAI's defaults (see above), not llama.cpp's
  std::optional<int64_t> max_tokens;  // nullopt: the endpoint's default
  std::vector<std::string> stop;
  bool ignore_eos = false;
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
  bool logprobs = false;
  int32_t top_logprobs = 0;
};

using TokenIds = std::vector<int32_t>;

struct CompletionRequest {
  GenerationParams params;
  std::variant<std::string, TokenIds> prompt;
  bool echo = false;
};

struct ChatRequest {
  GenerationParams params;
  chat::ChatTemplateInput conversation;
};

Result<CompletionRequest> parse_completion_request(FieldReader& fields, const RequestLimits& limits);
Result<ChatRequest> parse_chat_request(FieldReader& fields, const RequestLimits& limits);

// The fields both endpoints share (sampling, limits, stop, streaming,
// unsupported options); logprobs are each endpoint's own.
Result<GenerationParams> parse_generation_params(FieldReader& fields, const RequestLimits& limits);

// Token ids from a JSON array (`param` names it in errors): each an integer in [0, n_vocab).
Result<TokenIds> parse_token_ids(FieldReader& fields, const Json& array, std::string_view param, int32_t n_vocab);

}  // namespace rocmforge::server
