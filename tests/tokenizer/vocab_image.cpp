#include "vocab_image.h"

#include <fmt/format.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer::testing {

std::vector<TokenSpec> spm_tokens(const std::vector<TokenSpec>& extra) {
  std::vector<TokenSpec> tokens = {
      {"<unk>", 0.0f, TokenType::kUnknown}, {"<s>", 0.0f, TokenType::kControl}, {"</s>", 0.0f, TokenType::kControl}};
  for (int byte = 0; byte < 256; ++byte) tokens.push_back({fmt::format("<0x{:02X}>", byte), 0.0f, TokenType::kByte});
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  return tokens;
}

gguf::GgufWriter vocab_writer(const std::vector<TokenSpec>& tokens) {
  std::vector<std::string> texts;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (const TokenSpec& token : tokens) {
    texts.push_back(token.text);
    scores.push_back(token.score);
    types.push_back(static_cast<int32_t>(token.type));
  }
  gguf::GgufWriter writer;
  writer.set_string("tokenizer.ggml.model", "llama");
  writer.set_string_array("tokenizer.ggml.tokens", std::move(texts));
  writer.set_f32_array("tokenizer.ggml.scores", scores);
  writer.set_i32_array("tokenizer.ggml.token_type", types);
  return writer;
}

std::vector<TokenSpec> byte_level_tokens(const std::vector<TokenSpec>& extra) {
  std::vector<TokenSpec> tokens;
  for (int byte = 0; byte < 256; ++byte) {
    std::string text;
    append_utf8(byte_to_code_point(static_cast<uint8_t>(byte)), text);
    tokens.push_back({text});
  }
  tokens.insert(tokens.end(), extra.begin(), extra.end());
  return tokens;
}

gguf::GgufWriter bpe_writer(const std::vector<TokenSpec>& tokens, std::vector<std::string> merges,
                            const std::string& pre) {
  gguf::GgufWriter writer = vocab_writer(tokens);
  writer.set_string("tokenizer.ggml.model", "gpt2");
  writer.set_string_array("tokenizer.ggml.merges", std::move(merges));
  if (!pre.empty()) writer.set_string("tokenizer.ggml.pre", pre);
  return writer;
}

Result<Vocab> read_vocab(const gguf::GgufWriter& writer) {
  const std::vector<std::byte> bytes = RF_TRY(writer.to_bytes());
  const gguf::GgufFile file = RF_TRY(gguf::GgufFile::parse(bytes));
  return Vocab::from_gguf(file);
}

Result<std::unique_ptr<Tokenizer>> read_tokenizer(const gguf::GgufWriter& writer) {
  const std::vector<std::byte> bytes = RF_TRY(writer.to_bytes());
  const gguf::GgufFile file = RF_TRY(gguf::GgufFile::parse(bytes));
  return Tokenizer::from_gguf(file);
}

}  // namespace rocmforge::tokenizer::testing
