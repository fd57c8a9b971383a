#include "tokenizer/token_pieces.h"

namespace rocmforge::tokenizer {

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

Result<std::vector<std::string>> render_pieces(const Vocab& vocab, NormalSpelling spelling) {
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
        piece = spelling(token.text);
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

}  // namespace rocmforge::tokenizer
