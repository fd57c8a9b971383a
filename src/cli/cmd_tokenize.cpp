// rocmforge tokenize: shows how a model's tokenizer splits a text, like
// llama.cpp's llama-tokenize (same defaults: BOS as the model says, special
// tokens parsed). Only the vocabulary is read, so vocabulary-only GGUF files
// work too.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.h"
#include "gguf/gguf_file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace rocmforge::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string prompt;
  std::string prompt_file;
  bool json = false;
  bool ids_only = false;
  bool no_bos = false;
  bool parse_special = true;
};

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return RF_ERROR(kNotFound, "cannot read prompt file '{}'", path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A piece that is not valid UTF-8 (one byte of a character) is shown as its
// bytes in hex, as llama-tokenize does where a terminal cannot take raw bytes.
std::string listing_line(tokenizer::TokenId id, const std::string& piece) {
  if (tokenizer::is_valid_utf8(piece)) return fmt::format("{:6} -> '{}'\n", id, piece);
  std::string hex;
  for (char c : piece) hex += fmt::format("{}{:02x}", hex.empty() ? "" : " ", static_cast<uint8_t>(c));
  return fmt::format("{:6} -> '<{}>' (UTF-8 decode failure)\n", id, hex);
}

std::string render(const TokenizeOptions& o, const tokenizer::Tokenizer& tok,
                   const std::vector<tokenizer::TokenId>& ids) {
  if (o.ids_only) return fmt::format("[{}]\n", fmt::join(ids, ", "));
  if (o.json) {
    nlohmann::ordered_json tokens = nlohmann::ordered_json::array();
    for (tokenizer::TokenId id : ids) tokens.push_back({{"id", id}, {"piece", tok.token_to_piece(id, true)}});
    const nlohmann::ordered_json out = {{"tokens", tokens}, {"ids", ids}};
    // Byte tokens are parts of characters: JSON shows them as U+FFFD.
    return out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  }
  std::string text;
  for (tokenizer::TokenId id : ids) text += listing_line(id, tok.token_to_piece(id, true));
  return text;
}

Status run_tokenize(const TokenizeOptions& o) {
  const std::string text = o.prompt_file.empty() ? o.prompt : RF_TRY(read_text_file(o.prompt_file));
  const gguf::GgufFile file = RF_TRY(gguf::GgufFile::open(o.model));
  const auto tok = RF_TRY(tokenizer::Tokenizer::from_gguf(file));
  // As llama-tokenize: --no-bos turns off everything add_special adds.
  const bool add_special = tok->vocab().add_bos() && !o.no_bos;
  const std::vector<tokenizer::TokenId> ids = RF_TRY(tok->encode(text, add_special, o.parse_special));

  const std::string out = render(o, *tok, ids);
  if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
    return RF_ERROR(kIo, "cannot write to stdout");
  }
  return ok();
}

}  // namespace

Subcommand add_tokenize_command(CLI::App& root) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* app = root.add_subcommand("tokenize", "Show the tokens a model's tokenizer makes of a text");
  app->add_option("-m,--model", options->model, "GGUF file (a vocabulary-only file is enough)")->required();
  CLI::Option_group* source = app->add_option_group("text", "The text to tokenize (one of)");
  source->add_option("-p,--prompt", options->prompt, "Text to tokenize");
  source->add_option("-f,--file", options->prompt_file, "Read the text from a file");
  source->require_option(1);
  CLI::Option* json = app->add_flag("--json", options->json, "Print {\"tokens\":[{\"id\",\"piece\"}],\"ids\":[...]}");
  app->add_flag("--ids-only,--ids", options->ids_only, "Print only the ids, as [1, 2, 3]")->excludes(json);
  app->add_flag("--no-bos", options->no_bos, "Do not add BOS (or EOS) even if the model asks for it");
  app->add_flag("--parse-special,!--no-parse-special", options->parse_special,
                "Match special tokens written in the text, such as <s> (default: on)");
  return {app, [options] { return run_tokenize(*options); }};
}

}  // namespace rocmforge::cli
