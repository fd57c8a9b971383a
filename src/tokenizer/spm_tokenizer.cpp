#include "tokenizer/spm_tokenizer.h"

#include <limits>

#include "tokenizer/special_partition.h"
#include "tokenizer/token_pieces.h"

namespace rocmforge::tokenizer {

Result<std::unique_ptr<Tokenizer>> SpmTokenizer::create(Vocab vocab) {
  std::vector<std::string> pieces = RF_TRY(render_pieces(vocab, unescape_spaces));
  // llama.cpp's byte_to_token: the <0xXX> token, else a token that is the byte itself.
  ByteTokens byte_tokens;
  for (int byte = 0; byte < 256; ++byte) {
    const char raw = static_cast<char>(byte);
    byte_tokens[static_cast<size_t>(byte)] = vocab.find(fmt::format("<0x{:02X}>", byte));
    if (!byte_tokens[static_cast<size_t>(byte)]) {
      byte_tokens[static_cast<size_t>(byte)] = vocab.find(std::string_view(&raw, 1));
    }
  }
  return std::unique_ptr<Tokenizer>(new SpmTokenizer(std::move(vocab), std::move(pieces), byte_tokens));
}

SpmTokenizer::SpmTokenizer(Vocab vocab, std::vector<std::string> pieces, const ByteTokens& byte_tokens)
    : Tokenizer(std::move(vocab), std::move(pieces)), byte_tokens_(byte_tokens) {}

Result<std::vector<TokenId>> SpmTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  // Symbol links are ints, as in llama.cpp; escaping can triple the length.
  if (text.size() > static_cast<size_t>(std::numeric_limits<int>::max() / 3)) {
    return RF_ERROR(kInvalidArgument, "text of {} bytes is too long to tokenize", text.size());
  }
  const Vocab& voc = vocab();
  std::vector<TokenId> out;
  if (add_special && voc.add_bos()) out.push_back(*voc.special().bos);

  bool after_special = true;  // the start of the text counts as following a special token
  std::string escaped;
  SymbolMerger merger;
  for (const Fragment& fragment : partition_special_tokens(voc, text, parse_special)) {
    if (fragment.token) {
      out.push_back(*fragment.token);
      after_special = true;
      continue;
    }
    escaped.clear();
    if (voc.add_space_prefix() && after_special) escaped.append(kSpaceMarker);
    for (char c : fragment.text) {
      if (c == ' ') {
        escaped.append(kSpaceMarker);
      } else {
        escaped.push_back(c);
      }
    }
    RF_TRY(encode_escaped(escaped, merger, out));
    after_special = false;
  }

  if (add_special && voc.add_eos()) out.push_back(*voc.special().eos);
  return out;
}

Status SpmTokenizer::encode_escaped(std::string_view text, SymbolMerger& merger, std::vector<TokenId>& out) const {
  const Vocab& voc = vocab();
  // A pair merges when the merged piece is a token; the better its score,
  // the sooner.
  const auto rank = [&](std::string_view left, std::string_view right) -> std::optional<double> {
    const size_t n_bytes = left.size() + right.size();
    if (n_bytes > voc.max_token_bytes()) return std::nullopt;
    const std::optional<TokenId> id = voc.find(std::string_view(left.data(), n_bytes));
    if (!id) return std::nullopt;
    return -static_cast<double>(voc.token(*id).score);
  };
  // A merged symbol is always a token; what was never merged is a token or
  // falls back to bytes. (llama.cpp's resegment also consults a table of
  // merges, but only for symbols that are not tokens, which no merge makes.)
  for (std::string_view piece : merger.merge(text, rank)) {
    if (const std::optional<TokenId> id = voc.find(piece)) {
      out.push_back(*id);
    } else {
      RF_TRY(append_bytes(piece, out));
    }
  }
  return ok();
}

Status SpmTokenizer::append_bytes(std::string_view bytes, std::vector<TokenId>& out) const {
  for (char c : bytes) {
    const auto byte = static_cast<uint8_t>(c);
    const std::optional<TokenId> id = byte_tokens_[byte];
    if (!id) {
      return RF_ERROR(kUnsupported, "the vocabulary cannot represent byte 0x{:02X} (it has no <0x{:02X}> token)", byte,
                      byte);
    }
    out.push_back(*id);
  }
  return ok();
}

}  // namespace rocmforge::tokenizer
