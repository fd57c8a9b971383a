// The bytes each token stands for, as llama.cpp's token_to_piece cache holds
// them (special tokens shown). How a normal token is spelled depends on the
// model; everything else does not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rocmforge/error.h"
#include "tokenizer/vocab.h"

namespace rocmforge::tokenizer {

using NormalSpelling = std::string (*)(std::string_view text);

// Control, unknown and user-defined tokens are their text; byte tokens
// (<0xXX>) their byte; unused and undefined tokens nothing; normal tokens
// what `spelling` makes of their text. kParse for a byte token not written
// <0xXX>.
Result<std::vector<std::string>> render_pieces(const Vocab& vocab, NormalSpelling spelling);

// "<0xE2>" -> 0xE2.
std::optional<uint8_t> parse_byte_token(std::string_view text);

// SentencePiece's spelling: U+2581 stands for a space.
std::string unescape_spaces(std::string_view text);

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81";  // U+2581 LOWER ONE EIGHTH BLOCK

}  // namespace rocmforge::tokenizer
