// The few UTF-8 facts tokenizers need: how llama.cpp splits text into
// characters and reads it as code points, and how to make any byte string
// valid UTF-8.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::tokenizer {

// The length a lead byte announces, read as llama.cpp's unicode_len_utf8
// does: by the top four bits, so a continuation byte (or any other byte that
// cannot start a character) counts as one.
inline size_t utf8_sequence_length(uint8_t lead) {
  constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

// Appends `bytes` to `out` as well-formed UTF-8, each ill-formed subsequence
// replaced by U+FFFD (one per maximal subpart, the Unicode standard's
// recommended practice). Unless `at_end`, an incomplete character at the end
// that later bytes could still complete is left unconsumed. Returns how many
// bytes were consumed.
size_t append_valid_utf8(std::string_view bytes, bool at_end, std::string& out);

inline std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  append_valid_utf8(bytes, true, out);
  return out;
}

inline bool is_valid_utf8(std::string_view bytes) { return sanitize_utf8(bytes) == bytes; }

constexpr uint32_t kReplacementCharacter = 0xFFFD;

// Reads `bytes` as code points the way llama.cpp's unicode_cpts_from_utf8
// does, which is laxer than the standard: a lead byte and the continuation
// bytes it announces make one code point even when overlong or a surrogate;
// any other byte is one U+FFFD. Unlike llama.cpp (which then throws), a
// sequence beyond U+10FFFF is not read as one: its lead byte is a U+FFFD.
std::vector<uint32_t> decode_utf8_lenient(std::string_view bytes);

// Appends the UTF-8 bytes of `cp` (at most U+10FFFF; surrogates are written
// as their three bytes, as llama.cpp does).
void append_utf8(uint32_t cp, std::string& out);

inline bool is_surrogate(uint32_t cp) { return cp >= 0xD800 && cp <= 0xDFFF; }

}  // namespace rocmforge::tokenizer
