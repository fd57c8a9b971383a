// Python's str operations over UTF-8 text, as templates see them.
//
// Python strings are sequences of code points, so lengths, indexes and slices
// here count characters, not bytes. Bytes that are not valid UTF-8 (possible
// only in a template's own literals) count as one character each and are kept
// as they are. Case mapping covers ASCII only; other letters are left alone.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::chat::jinja::py_text {

// Decodes the character at `pos` (which advances past it). An invalid byte
// decodes as itself (0x80..0xFF) and advances by one.
char32_t next_char(std::string_view text, size_t& pos);
void append_char(char32_t c, std::string& out);

size_t char_count(std::string_view text);
bool is_ascii(std::string_view text);
// Byte offset of every character, and text.size() at the end (size n + 1).
std::vector<size_t> char_offsets(std::string_view text);

// Python's str.isspace() for one character (Unicode White_Space plus the
// ASCII separators \x1c-\x1f).
bool is_space(char32_t c);

enum class StripSide { kLeft, kRight, kBoth };
// str.strip()/lstrip()/rstrip(): whitespace when `chars` is nullopt, else the
// characters of `chars`.
std::string strip(std::string_view text, const std::optional<std::string>& chars, StripSide side);

// str.split(sep, maxsplit) and str.rsplit(): whitespace runs when `sep` is
// nullopt (an empty separator is the caller's error to report).
std::vector<std::string> split(std::string_view text, const std::optional<std::string>& sep, int64_t maxsplit);
std::vector<std::string> rsplit(std::string_view text, const std::optional<std::string>& sep, int64_t maxsplit);

// str.replace(old, new, count); count < 0 replaces all. nullopt when the
// result would be longer than max_bytes.
std::optional<std::string> replace(std::string_view text, std::string_view from, std::string_view to, int64_t count,
                                   size_t max_bytes);

// str.find()/rfind() in characters; -1 when absent.
int64_t find(std::string_view text, std::string_view needle);
int64_t rfind(std::string_view text, std::string_view needle);
// str.count(): non-overlapping occurrences.
int64_t count(std::string_view text, std::string_view needle);

std::string upper(std::string_view text);
std::string lower(std::string_view text);
// str.title(): each run of letters starts upper case, the rest lower case.
std::string title(std::string_view text);
// str.capitalize(): the first character upper case, the rest lower case.
std::string capitalize(std::string_view text);

// str.isdigit() / isalpha() / isalnum() / isspace() / islower() / isupper().
enum class CharClass { kDigit, kAlpha, kAlnum, kSpace, kLower, kUpper };
bool is_class(std::string_view text, CharClass cls);

}  // namespace rocmforge::chat::jinja::py_text
