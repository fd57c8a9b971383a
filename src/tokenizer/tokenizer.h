// The tokenizer interface: text to token ids and back, one implementation per
// tokenizer model (tokenizer.ggml.model), chosen by from_gguf().
//
// Semantics are llama.cpp's: encode() is llama_tokenize(text, add_special,
// parse_special), token_to_piece() is llama_token_to_piece(), decode() is
// llama_detokenize(remove_special, unparse_special). encode() is const and
// safe to call from several threads at once. Rendering a token does not
// depend on the model beyond the piece each token stands for, so pieces are
// computed once by the implementation and the rest lives here.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "rocmforge/error.h"
#include "tokenizer/vocab.h"

namespace rocmforge::gguf {
class GgufFile;
}

namespace rocmforge::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Reads the vocabulary and builds the tokenizer for its model; a model this
  // build does not implement is kUnsupported, naming those it does.
  static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::GgufFile& file);
  static Result<std::unique_ptr<Tokenizer>> from_vocab(Vocab vocab);

  const Vocab& vocab() const { return vocab_; }
  int32_t n_tokens() const { return vocab_.n_tokens(); }
  bool is_eog(TokenId id) const { return vocab_.is_eog(id); }

  // add_special adds BOS/EOS as the vocabulary's flags say; parse_special lets
  // control tokens written in the text ("<s>", "<|im_end|>") become those
  // tokens (user-defined tokens are always matched). Any byte string is
  // accepted, valid UTF-8 or not. Errors: a SentencePiece vocabulary that
  // cannot represent a byte (no byte-fallback token for it; byte-level BPE
  // drops such bytes, as llama.cpp does), text too long or too complex for
  // the pre-tokenizer's expressions.
  virtual Result<std::vector<TokenId>> encode(std::string_view text, bool add_special, bool parse_special) const = 0;

  // The bytes a token stands for. Control and unknown tokens are empty unless
  // render_special; an id outside the vocabulary is empty.
  std::string token_to_piece(TokenId id, bool render_special) const;

  // The text of a token sequence. remove_special drops a leading BOS and a
  // trailing EOS (when the vocabulary adds them); unparse_special renders
  // control tokens. With a space prefix, the first token's leading space is
  // dropped, unless a BOS was removed before it (llama.cpp keeps it then).
  // Vocabularies that clean spaces then do (clean_spaces.h).
  std::string decode(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const;
  // decode() without the clean-up of spaces.
  std::string decode_pieces(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const;

 protected:
  // pieces[id]: the bytes token `id` stands for when special tokens are rendered.
  Tokenizer(Vocab vocab, std::vector<std::string> pieces);

 private:
  Vocab vocab_;
  std::vector<std::string> pieces_;
};

}  // namespace rocmforge::tokenizer
