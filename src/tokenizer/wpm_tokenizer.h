// WordPiece, llama.cpp's tokenizer for tokenizer.ggml.model "bert"
// (llm_tokenizer_wpm), for embedding models. The GGUF converter has already
// rewritten BERT's vocabulary: a word-initial piece "foo" is stored as
// "▁foo" and a continuation "##foo" as "foo". So the text is normalized and
// split into words (whitespace separates them; punctuation, ASCII symbols
// and CJK ideographs are words of their own), each word gets a "▁" in front,
// and is covered greedily by the longest token at each position; a word
// that cannot be covered is one [UNK]. With add_special the tokens are
// framed by [CLS] (BOS) and [SEP].
//
// Normalization as llama.cpp: each character is replaced by the first code
// point of its decomposition and marks are dropped (when stripping
// accents); U+0000, U+FFFD (so every ill-formed byte) and control
// characters are dropped; letters are lower-cased (simple mapping).
#pragma once

#include <memory>

#include "tokenizer/tokenizer.h"

namespace rocmforge::tokenizer {

class WpmTokenizer final : public Tokenizer {
 public:
  // kParse when the vocabulary has no [UNK], [CLS] or [SEP] token.
  static Result<std::unique_ptr<Tokenizer>> create(Vocab vocab);

  Result<std::vector<TokenId>> encode(std::string_view text, bool add_special, bool parse_special) const override;

 private:
  using Tokenizer::Tokenizer;

  std::vector<std::string> normalized_words(std::string_view text) const;
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;
};

}  // namespace rocmforge::tokenizer
