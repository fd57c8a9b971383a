// GPT-2's byte-level alphabet: byte-level BPE vocabularies spell every byte
// as one printable character, so that token texts are valid UTF-8 without
// spaces or control characters. Printable Latin-1 bytes ('!'..'~', '¡'..'¬',
// '®'..'ÿ') stand for themselves; the other 68 bytes, in order, are
// U+0100..U+0143 (so a space is 'Ġ' U+0120, a newline 'Ċ' U+010A).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rocmforge::tokenizer {

uint32_t byte_to_code_point(uint8_t byte);
std::optional<uint8_t> code_point_to_byte(uint32_t cp);

// Appends the alphabet's spelling of `bytes`: one character (1 or 2 bytes of
// UTF-8) per byte.
void append_byte_level(std::string_view bytes, std::string& out);

// The bytes a token text spells. A character outside the alphabet (a token
// the converter did not byte-encode) is kept as its own UTF-8; llama.cpp
// writes "[UNK_BYTE_0x...]" there instead.
std::string decode_byte_level(std::string_view text);

}  // namespace rocmforge::tokenizer
