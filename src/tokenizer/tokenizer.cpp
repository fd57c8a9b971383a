#include "tokenizer/tokenizer.h"

#include "gguf/gguf_file.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/clean_spaces.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/wpm_tokenizer.h"

namespace rocmforge::tokenizer {

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  Vocab vocab = RF_TRY(Vocab::from_gguf(file));
  return from_vocab(std::move(vocab));
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_vocab(Vocab vocab) {
  switch (vocab.kind()) {
    case VocabKind::kSpm:
      return SpmTokenizer::create(std::move(vocab));
    case VocabKind::kBpe:
      return BpeTokenizer::create(std::move(vocab));
    case VocabKind::kWpm:
      return WpmTokenizer::create(std::move(vocab));
  }
  return RF_ERROR(kInternal, "no tokenizer for vocabulary model '{}'", vocab.model_name());
}

Tokenizer::Tokenizer(Vocab vocab, std::vector<std::string> pieces)
    : vocab_(std::move(vocab)), pieces_(std::move(pieces)) {}

std::string Tokenizer::token_to_piece(TokenId id, bool render_special) const {
  if (!vocab_.contains(id)) return {};
  const TokenType type = vocab_.token(id).type;
  if (!render_special && (type == TokenType::kControl || type == TokenType::kUnknown)) return {};
  return pieces_[static_cast<size_t>(id)];
}

std::string Tokenizer::decode(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const {
  std::string text = decode_pieces(ids, remove_special, unparse_special);
  return vocab_.clean_spaces() ? clean_up_spaces(text) : text;
}

std::string Tokenizer::decode_pieces(std::span<const TokenId> ids, bool remove_special, bool unparse_special) const {
  bool remove_space = vocab_.add_space_prefix();
  const SpecialTokens& special = vocab_.special();
  if (remove_special && vocab_.add_bos() && !ids.empty() && ids.front() == special.bos) {
    remove_space = false;
    ids = ids.subspan(1);
  }
  if (remove_special && vocab_.add_eos() && !ids.empty() && ids.back() == special.eos) {
    ids = ids.first(ids.size() - 1);
  }
  std::string text;
  for (TokenId id : ids) {
    std::string piece = token_to_piece(id, unparse_special);
    const size_t skip = remove_space && !piece.empty() && piece.front() == ' ' ? 1 : 0;
    text.append(piece, skip);
    remove_space = false;
  }
  return text;
}

}  // namespace rocmforge::tokenizer
