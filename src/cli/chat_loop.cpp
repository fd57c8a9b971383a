#include "cli/chat_loop.h"

#include <cstdio>
#include <fstream>
#include <sstream>

namespace rocmforge::cli {
namespace {

std::string token_text(const tokenizer::Tokenizer& tok, std::optional<tokenizer::TokenId> id) {
  return id ? tok.vocab().token(*id).text : std::string();
}

class Conversation {
 public:
  Conversation(engine::Session& session, engine::Sampler& sampler, const tokenizer::Tokenizer& tok,
               const chat::ChatTemplate& tmpl, const GenerateOptions& gen)
      : session_(session), sampler_(sampler), tok_(tok), tmpl_(tmpl), gen_(gen) {}

  void add(std::string role, const std::string& content) {
    messages_.push_back({{"role", std::move(role)}, {"content", content}});
  }

  // Renders the whole conversation, feeds the tokens the cache lacks and
  // generates the assistant's answer, streaming it.
  Status answer() {
    chat::ChatTemplateInput input;
    input.messages = messages_;
    const std::string prompt = RF_TRY(tmpl_.apply(input));
    // A template that writes BOS itself must not get a second one.
    const std::string bos = token_text(tok_, tok_.vocab().special().bos);
    const bool add_bos = tok_.vocab().add_bos() && (bos.empty() || !prompt.starts_with(bos));
    const std::vector<int32_t> tokens = RF_TRY(tok_.encode(prompt, add_bos, true));
    size_t common = 0;
    while (common < context_.size() && common < tokens.size() && context_[common] == tokens[common]) ++common;
    if (common == tokens.size() && common > 0) --common;  // at least one new token to get logits from
    session_.truncate(static_cast<int64_t>(common));
    context_.resize(common);
    if (static_cast<int64_t>(tokens.size()) > session_.n_ctx()) {
      return RF_ERROR(kCapacity, "the conversation has {} tokens, more than the context size {} (--ctx-size)",
                      tokens.size(), session_.n_ctx());
    }
    std::vector<int32_t> fresh(tokens.begin() + static_cast<std::ptrdiff_t>(common), tokens.end());
    Generation g = RF_TRY(generate(session_, sampler_, tok_, fresh, gen_));
    context_.insert(context_.end(), fresh.begin(), fresh.end());
    context_.insert(context_.end(), g.tokens.begin(), g.tokens.end());
    add("assistant", g.text);
    RF_TRY(write_stdout("\n"));
    print_speed(g);
    return ok();
  }

 private:
  engine::Session& session_;
  engine::Sampler& sampler_;
  const tokenizer::Tokenizer& tok_;
  const chat::ChatTemplate& tmpl_;
  GenerateOptions gen_;
  nlohmann::ordered_json messages_ = nlohmann::ordered_json::array();
  std::vector<int32_t> context_;  // tokens in the session's cache
};

}  // namespace

Result<chat::ChatTemplate> choose_template(const gguf::GgufFile& file, const tokenizer::Tokenizer& tok,
                                           const std::string& template_file, const std::string& builtin_name) {
  const chat::SpecialTokenTexts texts{token_text(tok, tok.vocab().special().bos),
                                      token_text(tok, tok.vocab().special().eos)};
  if (!template_file.empty()) {
    std::ifstream in(template_file, std::ios::binary);
    if (!in) return RF_ERROR(kNotFound, "cannot read chat template file '{}'", template_file);
    std::ostringstream source;
    source << in.rdbuf();
    return chat::ChatTemplate::from_source(source.str(), texts);
  }
  if (!builtin_name.empty()) return chat::ChatTemplate::builtin(builtin_name, texts);
  const std::optional<std::string_view> model_template = RF_TRY(file.find_string("tokenizer.chat_template"));
  chat::ChatTemplate tmpl = RF_TRY(chat::ChatTemplate::for_model(model_template, "chatml", texts));
  if (tmpl.uses_builtin()) {
    std::fprintf(stderr, "model has no chat template; using built-in '%s'\n", tmpl.builtin_name().c_str());
  }
  return tmpl;
}

Status run_chat(engine::Session& session, engine::Sampler& sampler, const tokenizer::Tokenizer& tok,
                const chat::ChatTemplate& tmpl, const ChatOptions& options, std::istream& input) {
  Conversation conversation(session, sampler, tok, tmpl, options.generation);
  if (!options.system.empty()) conversation.add("system", options.system);
  if (options.first_message) {
    conversation.add("user", *options.first_message);
    RF_TRY(conversation.answer());
  }
  if (!options.interactive) return ok();
  std::string line;
  for (;;) {
    RF_TRY(write_stdout("> "));
    if (!std::getline(input, line) || line == "/exit") break;
    if (line.empty()) continue;
    conversation.add("user", line);
    RF_TRY(conversation.answer());
  }
  return ok();
}

}  // namespace rocmforge::cli
