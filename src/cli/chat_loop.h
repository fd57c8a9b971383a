// Chat mode of `rocmforge run`: a conversation rendered with the model's chat
// template, one user line at a time (interactive) or a single turn, reusing
// the KV cache of everything the conversation already holds.
#pragma once

#include <istream>
#include <optional>
#include <string>

#include "chat/chat_template.h"
#include "cli/generation.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::cli {

struct ChatOptions {
  std::string system;                        // empty: no system message
  std::optional<std::string> first_message;  // the -p prompt, as the first user turn
  bool interactive = true;                   // read further turns from `input`
  GenerateOptions generation;
};

// The template for a run: a file's, a built-in's, the model's, or (said on
// stderr) the chatml built-in when the model has none.
Result<chat::ChatTemplate> choose_template(const gguf::GgufFile& file, const tokenizer::Tokenizer& tok,
                                           const std::string& template_file, const std::string& builtin_name);

Status run_chat(engine::Session& session, engine::Sampler& sampler, const tokenizer::Tokenizer& tok,
                const chat::ChatTemplate& tmpl, const ChatOptions& options, std::istream& input);

}  // namespace rocmforge::cli
