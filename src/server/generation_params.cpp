// The request fields /v1/completions and /v1/chat/completions share.
#include <fmt/format.h>

#include <limits>

#include "server/openai_request.h"

namespace rocmforge::server {
namespace {

constexpr int64_t kMaxInt32 = std::numeric_limits<int32_t>::max();
constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

Status read_sampling(FieldReader& f, engine::SamplingParams& s) {
  // OpenAI's defaults: plain sampling at temperature 1, nothing truncated.
  s.temperature = 1.0f;
  s.top_k = 0;
  s.top_p = 1.0f;
  s.min_p = 0.0f;
  s.repeat_penalty = 1.0f;
  s.repeat_last_n = -1;  // OpenAI's and vLLM's penalties see every token, not a window
  if (auto v = RF_TRY(f.number("temperature", 0.0, 2.0))) s.temperature = static_cast<float>(*v);
  if (auto v = RF_TRY(f.number("top_p", 0.0, 1.0))) s.top_p = static_cast<float>(*v);
  if (auto v = RF_TRY(f.integer("top_k", -1, kMaxInt32))) s.top_k = *v < 0 ? 0 : static_cast<int32_t>(*v);
  if (auto v = RF_TRY(f.number("min_p", 0.0, 1.0))) s.min_p = static_cast<float>(*v);
  if (auto v = RF_TRY(f.number("presence_penalty", -2.0, 2.0))) s.presence_penalty = static_cast<float>(*v);
  if (auto v = RF_TRY(f.number("frequency_penalty", -2.0, 2.0))) s.frequency_penalty = static_cast<float>(*v);
  if (auto v = RF_TRY(f.number("repetition_penalty", 0.0, 10.0))) {
    if (*v == 0.0) return f.invalid("repetition_penalty", "'repetition_penalty' must be greater than 0");
    s.repeat_penalty = static_cast<float>(*v);
  }
  if (auto v = RF_TRY(f.integer("seed", std::numeric_limits<int64_t>::min(), kMaxInt64))) {
    s.seed = static_cast<uint64_t>(*v);
  }
  return ok();
}

Result<std::vector<std::string>> read_stop(FieldReader& f, size_t max_stop) {
  const Json* v = f.find("stop");
  if (!v) return std::vector<std::string>();
  std::vector<std::string> stop;
  if (v->is_string()) {
    stop.push_back(v->get<std::string>());
  } else if (v->is_array()) {
    if (v->size() > max_stop) return f.invalid("stop", fmt::format("'stop' holds at most {} strings, got {}", max_stop, v->size()));
    for (const Json& s : *v) {
      if (!s.is_string()) return f.type_error("stop", "a string or an array of strings", s);
      stop.push_back(s.get<std::string>());
    }
  } else {
    return f.type_error("stop", "a string or an array of strings", *v);
  }
  for (const std::string& s : stop) {
    if (s.empty()) return f.invalid("stop", "a stop string is empty");
  }
  return stop;
}

// Options whose meaning this server cannot honour are refused, never dropped.
Status refuse_unsupported(FieldReader& f) {
  if (auto n = RF_TRY(f.integer("n", 1, kMaxInt64)); n && *n != 1) {
    return f.unsupported("n", fmt::format("only n = 1 is supported (one choice per request), got {}", *n));
  }
  if (auto b = RF_TRY(f.integer("best_of", 1, kMaxInt64)); b && *b != 1) {
    return f.unsupported("best_of", "only best_of = 1 is supported");
  }
  if (const Json* bias = f.find("logit_bias")) {
    if (!bias->is_object()) return f.type_error("logit_bias", "an object", *bias);
    if (!bias->empty()) return f.unsupported("logit_bias", "'logit_bias' is not supported");
  }
  if (const Json* format = f.find("response_format")) {
    if (!format->is_object()) return f.type_error("response_format", "an object", *format);
    const Json* type = find_member(*format, "type");
    if (!type || !type->is_string() || type->get<std::string>() != "text") {
      return f.unsupported("response_format", "only response_format {\"type\": \"text\"} is supported");
    }
  }
  return ok();
}

}  // namespace

Result<GenerationParams> parse_generation_params(FieldReader& f, const RequestLimits& limits) {
  GenerationParams p;
  p.model = RF_TRY(f.string("model"));
  RF_TRY(read_sampling(f, p.sampling));
  if (Status valid = p.sampling.validate(); !valid) return std::move(valid).error();
  p.max_tokens = RF_TRY(f.integer("max_tokens", 1, kMaxInt64));
  if (auto v = RF_TRY(f.integer("max_completion_tokens", 1, kMaxInt64))) p.max_tokens = v;
  p.stop = RF_TRY(read_stop(f, limits.max_stop));
  p.ignore_eos = RF_TRY(f.boolean("ignore_eos")).value_or(false);
  p.stream = RF_TRY(f.boolean("stream")).value_or(false);
  if (const Json* options = f.find("stream_options")) {
    if (!options->is_object()) return f.type_error("stream_options", "an object", *options);
    if (!p.stream) return f.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true");
    FieldReader inner(*options);
    const auto include = inner.boolean("include_usage");
    if (!include) return f.invalid("stream_options.include_usage", include.error().message());
    p.include_usage = include->value_or(false);
  }
  RF_TRY(refuse_unsupported(f));
  return p;
}

Result<TokenIds> parse_token_ids(FieldReader& f, const Json& array, std::string_view param, int32_t n_vocab) {
  TokenIds ids;
  ids.reserve(array.size());
  for (const Json& v : array) {
    if (!v.is_number_integer()) return f.type_error(param, "an array of token ids (integers)", v);
    const bool is_unsigned = v.is_number_unsigned();
    const int64_t id = is_unsigned ? static_cast<int64_t>(std::min<uint64_t>(v.get<uint64_t>(), kMaxInt32 + 1ULL))
                                   : v.get<int64_t>();
    if (id < 0 || id >= n_vocab) {
      return f.invalid(param, fmt::format("token id {} is outside the vocabulary [0, {})",
                                          is_unsigned ? v.dump() : std::to_string(id), n_vocab));
    }
    ids.push_back(static_cast<int32_t>(id));
  }
  return ids;
}

}  // namespace rocmforge::server
