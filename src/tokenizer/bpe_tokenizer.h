// Byte-level BPE, llama.cpp's tokenizer for tokenizer.ggml.model "gpt2"
// (llm_tokenizer_bpe): special tokens are cut out of the text first; the
// rest is split into words by the vocabulary's pre-tokenizer; each word is
// spelled in GPT-2's byte alphabet (byte_level.h) and its characters are
// merged by the rank of tokenizer.ggml.merges, lowest first.
//
// Where llama.cpp is lax, this is explicit:
// - a merge that is not two texts separated by a space is a kParse error
//   when the tokenizer is built (llama.cpp keeps it as a merge of "" and "");
// - a merge may name texts that are not tokens: merges work on texts, and
//   such a merge applies as it does in llama.cpp;
// - a word left with a piece that is not a token is written as the tokens
//   of its bytes (llama.cpp looks up the piece's raw UTF-8 bytes instead,
//   which finds only printable ASCII);
// - a byte the vocabulary has no token for is dropped, as llama.cpp and
//   Hugging Face do (Falcon's vocabulary lacks 0x03, 0x0B, 0xF5..0xFF and
//   others): the model never saw it.
#pragma once

#include <memory>
#include <string_view>
#include <unordered_map>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/symbol_merge.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::tokenizer {

class BpeTokenizer final : public Tokenizer {
 public:
  static Result<std::unique_ptr<Tokenizer>> create(Vocab vocab);

  Result<std::vector<TokenId>> encode(std::string_view text, bool add_special, bool parse_special) const override;

 private:
  // Per-call buffers, so that encode() shares nothing between threads.
  struct Scratch {
    std::string word;  // a word in the byte alphabet
    std::string pair;  // "left right", to look a pair up
    SymbolMerger merger;
  };

  BpeTokenizer(Vocab vocab, std::vector<std::string> pieces, PreTokenizer pre_tokenizer);
  Status index_merges();
  void encode_word(Scratch& scratch, std::vector<TokenId>& out) const;
  void append_byte_tokens(std::string_view piece, std::vector<TokenId>& out) const;

  PreTokenizer pre_tokenizer_;
  bool ignore_merges_;
  // A merge's rank by its text "left right" (a view of vocab().merges()).
  // Words in the byte alphabet never hold a space, so the split is unique.
  std::unordered_map<std::string_view, int32_t, TextHash, std::equal_to<>> ranks_;
};

}  // namespace rocmforge::tokenizer
