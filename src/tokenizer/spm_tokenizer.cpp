#include "tokenizer/spm_tokenizer.h"

#include <limits>
#include <queue>

#include "tokenizer/special_partition.h"
#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {
namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

// A piece of the text being merged, in a doubly linked list over the symbols
// array; a symbol merged into its left neighbour keeps n_bytes == 0.
struct Symbol {
  int prev = -1;
  int next = -1;
  size_t offset = 0;
  size_t n_bytes = 0;
};

// A candidate merge of two neighbouring symbols into one token.
struct Bigram {
  int left = 0;
  int right = 0;
  float score = 0.0f;
  size_t n_bytes = 0;  // of the merged piece, to recognise stale entries
};

// Best score first; among equal scores the leftmost, as llama.cpp orders them.
// Two live candidates never compare equal (equal left means equal right), so
// the result does not depend on how the heap breaks ties.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

std::optional<uint8_t> parse_byte_token(std::string_view text) {
  const auto hex_digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() != 6 || !text.starts_with("<0x") || text.back() != '>') return std::nullopt;
  const int hi = hex_digit(text[3]);
  const int lo = hex_digit(text[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

std::string unescape_spaces(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    if (text.substr(pos).starts_with(kSpaceMarker)) {
      out.push_back(' ');
      pos += kSpaceMarker.size();
    } else {
      out.push_back(text[pos++]);
    }
  }
  return out;
}

// The piece each token renders as with special tokens shown (llama.cpp's
// token_to_piece cache for SPM).
Result<std::vector<std::string>> render_pieces(const Vocab& vocab) {
  std::vector<std::string> pieces(static_cast<size_t>(vocab.n_tokens()));
  for (TokenId id = 0; id < vocab.n_tokens(); ++id) {
    const TokenData& token = vocab.token(id);
    std::string& piece = pieces[static_cast<size_t>(id)];
    switch (token.type) {
      case TokenType::kControl:
      case TokenType::kUnknown:
      case TokenType::kUserDefined:
        piece = token.text;
        break;
      case TokenType::kNormal:
        piece = unescape_spaces(token.text);
        break;
      case TokenType::kByte: {
        const std::optional<uint8_t> byte = parse_byte_token(token.text);
        if (!byte) return RF_ERROR(kParse, "byte token {} is '{}', not of the form <0xXX>", id, token.text);
        piece = std::string(1, static_cast<char>(*byte));
        break;
      }
      case TokenType::kUnused:
      case TokenType::kUndefined:
        break;  // rendered as nothing, as llama.cpp does
    }
  }
  return pieces;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> SpmTokenizer::create(Vocab vocab) {
  std::vector<std::string> pieces = RF_TRY(render_pieces(vocab));
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
    RF_TRY(encode_escaped(escaped, out));
    after_special = false;
  }

  if (add_special && voc.add_eos()) out.push_back(*voc.special().eos);
  return out;
}

Status SpmTokenizer::encode_escaped(std::string_view text, std::vector<TokenId>& out) const {
  const Vocab& voc = vocab();
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t offset = 0; offset < text.size();) {
    const size_t n_bytes = std::min(utf8_sequence_length(static_cast<uint8_t>(text[offset])), text.size() - offset);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offset + n_bytes == text.size() ? -1 : index + 1, offset, n_bytes});
    offset += n_bytes;
  }
  if (symbols.empty()) return ok();

  std::priority_queue<Bigram, std::vector<Bigram>, BigramOrder> queue;
  const auto try_add_bigram = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t n_bytes = symbols[static_cast<size_t>(left)].n_bytes + symbols[static_cast<size_t>(right)].n_bytes;
    if (n_bytes > voc.max_token_bytes()) return;
    const std::optional<TokenId> id = voc.find(text.substr(symbols[static_cast<size_t>(left)].offset, n_bytes));
    if (id) queue.push({left, right, voc.token(*id).score, n_bytes});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) try_add_bigram(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[static_cast<size_t>(bigram.left)];
    Symbol& right = symbols[static_cast<size_t>(bigram.right)];
    if (left.n_bytes == 0 || right.n_bytes == 0 || left.n_bytes + right.n_bytes != bigram.n_bytes) continue;
    left.n_bytes += right.n_bytes;
    right.n_bytes = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = bigram.left;
    try_add_bigram(left.prev, bigram.left);
    try_add_bigram(bigram.left, left.next);
  }

  // A merged symbol is always a token; what was never merged is a token or
  // falls back to bytes. (llama.cpp's resegment also consults a table of
  // merges, but only for symbols that are not tokens, which no merge makes.)
  for (int i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& symbol = symbols[static_cast<size_t>(i)];
    const std::string_view piece = text.substr(symbol.offset, symbol.n_bytes);
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
