#include "server/generation_request.h"

#include <fmt/format.h>

#include <ctime>
#include <span>

#include "server/openai_request.h"

namespace rocmforge::server {
namespace {

constexpr int64_t kCompletionsDefaultMaxTokens = 16;  // OpenAI's and vLLM's default for /v1/completions

Status check_model(FieldReader& f, const ServedModel& served, const std::optional<std::string>& asked) {
  if (!asked || *asked == served.id || *asked == served.path) return ok();
  return f.fail(ErrorCode::kNotFound, "model", fmt::format("the model '{}' does not exist; this server serves '{}'", *asked, served.id),
                "model_not_found");
}

Result<TokenIds> encode(FieldReader& f, const tokenizer::Tokenizer& tok, std::string_view text, bool add_special,
                        std::string_view param) {
  auto ids = tok.encode(text, add_special, /*parse_special=*/true);
  if (!ids) return f.invalid(param, fmt::format("cannot tokenize the {}: {}", param, ids.error().message()));
  return std::move(*ids);
}

// Templates write the BOS token themselves when the model wants one; it is
// added only when the rendered prompt lacks it (as llama.cpp does).
Result<TokenIds> chat_prompt(FieldReader& f, const ServerContext& ctx, const chat::ChatTemplateInput& conversation) {
  Result<std::string> rendered = ctx.chat_template.apply(conversation);
  if (!rendered) {
    const Error& e = rendered.error();
    if (e.code() == ErrorCode::kCapacity) {
      return f.invalid("messages", fmt::format("the conversation is too large for the chat template: {}", e.message()));
    }
    return f.invalid("messages", fmt::format("the chat template rejected the conversation: {}", e.message()));
  }
  TokenIds ids = RF_TRY(encode(f, ctx.tokenizer, *rendered, false, "messages"));
  const tokenizer::Vocab& vocab = ctx.tokenizer.vocab();
  const std::optional<tokenizer::TokenId> bos = vocab.special().bos;
  if (!vocab.add_bos() || !bos || (!ids.empty() && ids.front() == *bos)) return ids;
  TokenIds with_bos = {*bos};
  with_bos.insert(with_bos.end(), ids.begin(), ids.end());
  return with_bos;
}

// The text of a prompt given as token ids, as a client would have written
// it: a leading BOS is not text, and the first word's space prefix goes
// (as when Hugging Face tokenizers decode).
std::string prompt_text(const tokenizer::Tokenizer& tok, std::span<const int32_t> ids) {
  const std::optional<tokenizer::TokenId> bos = tok.vocab().special().bos;
  if (bos && !ids.empty() && ids.front() == *bos) ids = ids.subspan(1);
  return tok.decode(ids, false, false);
}

engine::Request engine_request(const GenerationParams& p, const std::string& request_id, TokenIds prompt,
                               std::optional<int64_t> default_max_tokens) {
  engine::Request r;
  r.id = request_id;
  r.prompt = std::move(prompt);
  r.sampling = p.sampling;
  r.max_tokens = p.max_tokens ? p.max_tokens : default_max_tokens;
  r.stop = p.stop;
  r.ignore_eos = p.ignore_eos;
  r.logprobs = p.logprobs;
  r.top_logprobs = p.top_logprobs;
  return r;
}

}  // namespace

Result<PreparedGeneration> prepare_generation(const ServerContext& ctx, Api api, FieldReader& f,
                                              const std::string& request_id) {
  const RequestLimits limits{.n_vocab = ctx.model.n_vocab};
  PreparedGeneration out;
  GenerationParams params;
  TokenIds prompt;
  std::optional<int64_t> default_max_tokens;
  const char* prompt_param = api == Api::kChat ? "messages" : "prompt";
  if (api == Api::kCompletions) {
    CompletionRequest r = RF_TRY(parse_completion_request(f, limits));
    params = std::move(r.params);
    RF_TRY(check_model(f, ctx.model, params.model));
    if (const auto* text = std::get_if<std::string>(&r.prompt)) {
      prompt = RF_TRY(encode(f, ctx.tokenizer, *text, true, "prompt"));
      if (r.echo) out.shape.echo = *text;
    } else {
      prompt = std::get<TokenIds>(std::move(r.prompt));
      if (r.echo) out.shape.echo = prompt_text(ctx.tokenizer, prompt);
    }
    default_max_tokens = kCompletionsDefaultMaxTokens;
  } else {
    ChatRequest r = RF_TRY(parse_chat_request(f, limits));
    params = std::move(r.params);
    RF_TRY(check_model(f, ctx.model, params.model));
    prompt = RF_TRY(chat_prompt(f, ctx, r.conversation));
  }
  if (prompt.empty()) return f.invalid(prompt_param, "the prompt has no tokens");
  const auto n_prompt = static_cast<int64_t>(prompt.size());
  if (n_prompt >= ctx.model.n_ctx) {
    return f.fail(ErrorCode::kInvalidArgument, prompt_param,
                  fmt::format("this model's maximum context length is {} tokens, and your prompt has {} "
                              "(at least one must remain for the completion); shorten the {}",
                              ctx.model.n_ctx, n_prompt, prompt_param),
                  "context_length_exceeded");
  }
  out.stream = params.stream;
  out.shape.api = api;
  out.shape.id = (api == Api::kChat ? "chatcmpl-" : "cmpl-") + request_id;
  out.shape.created = static_cast<int64_t>(std::time(nullptr));
  out.shape.model = ctx.model.id;
  out.shape.logprobs = params.logprobs;
  out.shape.include_usage = params.include_usage;
  out.request = engine_request(params, request_id, std::move(prompt), default_max_tokens);
  return out;
}

}  // namespace rocmforge::server
