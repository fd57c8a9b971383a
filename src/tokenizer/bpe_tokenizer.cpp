#include "tokenizer/bpe_tokenizer.h"

#include <limits>

#include "tokenizer/byte_level.h"
#include "tokenizer/special_partition.h"
#include "tokenizer/token_pieces.h"

namespace rocmforge::tokenizer {

Result<std::unique_ptr<Tokenizer>> BpeTokenizer::create(Vocab vocab) {
  const PreTokenizerSpec* spec = vocab.pre_tokenizer();
  if (spec == nullptr) return RF_ERROR(kInternal, "a BPE vocabulary without a pre-tokenizer");
  PreTokenizer pre_tokenizer = RF_TRY(PreTokenizer::create(spec->patterns));
  std::vector<std::string> pieces = RF_TRY(render_pieces(vocab, decode_byte_level));
  std::unique_ptr<BpeTokenizer> tokenizer(
      new BpeTokenizer(std::move(vocab), std::move(pieces), std::move(pre_tokenizer)));
  RF_TRY(tokenizer->index_merges());
  return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

BpeTokenizer::BpeTokenizer(Vocab vocab, std::vector<std::string> pieces, PreTokenizer pre_tokenizer)
    : Tokenizer(std::move(vocab), std::move(pieces)),
      pre_tokenizer_(std::move(pre_tokenizer)),
      ignore_merges_(this->vocab().pre_tokenizer()->ignore_merges) {}

Status BpeTokenizer::index_merges() {
  const std::vector<std::string>& merges = vocab().merges();
  if (merges.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return RF_ERROR(kParse, "tokenizer.ggml.merges has {} entries, more than ranks can number", merges.size());
  }
  ranks_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& merge = merges[rank];
    // llama.cpp splits at the first space after the first byte.
    const size_t space = merge.size() < 2 ? std::string::npos : merge.find(' ', 1);
    if (space == std::string::npos || space + 1 == merge.size()) {
      return RF_ERROR(kParse, "tokenizer.ggml.merges[{}] is '{}', not two texts separated by a space", rank, merge);
    }
    ranks_.emplace(merge, static_cast<int32_t>(rank));  // a repeated merge keeps its first rank
  }
  return ok();
}

Result<std::vector<TokenId>> BpeTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  // Symbol links are ints, as in llama.cpp; the byte alphabet doubles bytes
  // and U+FFFD triples an ill-formed byte.
  if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max() / 6)) {
    return RF_ERROR(kInvalidArgument, "text of {} bytes is too long to tokenize", text.size());
  }
  const Vocab& voc = vocab();
  std::vector<TokenId> out;
  if (add_special && voc.add_bos()) out.push_back(*voc.special().bos);
  Scratch scratch;
  for (const Fragment& fragment : partition_special_tokens(voc, text, parse_special)) {
    if (fragment.token) {
      out.push_back(*fragment.token);
      continue;
    }
    const PreTokenizer::Words words = RF_TRY(pre_tokenizer_.split(fragment.text));
    for (size_t i = 0; i < words.size(); ++i) {
      scratch.word.clear();
      append_byte_level(words.word(i), scratch.word);
      encode_word(scratch, out);
    }
  }
  if (add_special && voc.add_eos()) out.push_back(*voc.special().eos);
  return out;
}

void BpeTokenizer::encode_word(Scratch& scratch, std::vector<TokenId>& out) const {
  const Vocab& voc = vocab();
  if (ignore_merges_) {
    if (const std::optional<TokenId> id = voc.find(scratch.word)) {
      out.push_back(*id);
      return;
    }
  }
  const auto rank = [&](std::string_view left, std::string_view right) -> std::optional<double> {
    scratch.pair.assign(left);
    scratch.pair += ' ';
    scratch.pair += right;
    const auto it = ranks_.find(std::string_view(scratch.pair));
    if (it == ranks_.end()) return std::nullopt;
    return it->second;
  };
  for (std::string_view piece : scratch.merger.merge(scratch.word, rank)) {
    if (const std::optional<TokenId> id = voc.find(piece)) {
      out.push_back(*id);
    } else {
      append_byte_tokens(piece, out);
    }
  }
}

void BpeTokenizer::append_byte_tokens(std::string_view piece, std::vector<TokenId>& out) const {
  // Each character of the byte alphabet is one byte of the text; one the
  // vocabulary lacks is dropped.
  for (size_t offset = 0; offset < piece.size();) {
    const size_t n_bytes = std::min(utf8_sequence_length(static_cast<uint8_t>(piece[offset])), piece.size() - offset);
    if (const std::optional<TokenId> id = vocab().find(piece.substr(offset, n_bytes))) out.push_back(*id);
    offset += n_bytes;
  }
}

}  // namespace rocmforge::tokenizer
