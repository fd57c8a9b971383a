// The SentencePiece-style tokenizer llama.cpp uses for tokenizer.ggml.model
// "llama" (llm_tokenizer_spm): spaces become U+2581, a space is put in front
// of text that follows BOS or a special token, the text is split into UTF-8
// characters, and neighbouring pieces are merged, best score first, for as
// long as the merged piece is a token. What is left that is not a token is
// written as byte tokens (<0xE2>, ...).
#pragma once

#include <array>
#include <memory>
#include <optional>

#include "tokenizer/symbol_merge.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::tokenizer {

class SpmTokenizer final : public Tokenizer {
 public:
  // kParse when a byte-type token is not written <0xXX>.
  static Result<std::unique_ptr<Tokenizer>> create(Vocab vocab);

  Result<std::vector<TokenId>> encode(std::string_view text, bool add_special, bool parse_special) const override;

 private:
  using ByteTokens = std::array<std::optional<TokenId>, 256>;

  SpmTokenizer(Vocab vocab, std::vector<std::string> pieces, const ByteTokens& byte_tokens);

  // Tokenizes one run of raw text whose spaces are already escaped.
  Status encode_escaped(std::string_view text, SymbolMerger& merger, std::vector<TokenId>& out) const;
  Status append_bytes(std::string_view bytes, std::vector<TokenId>& out) const;

  ByteTokens byte_tokens_;
};

}  // namespace rocmforge::tokenizer
