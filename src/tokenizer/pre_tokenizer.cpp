#include "tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "tokenizer/utf8.h"

namespace rocmforge::tokenizer {
namespace {

// llama.cpp's whitespace (unicode_set_whitespace), as the inside of a class.
constexpr std::string_view kWhitespace =
    "\\x{09}-\\x{0D} \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}";

// Stands in for a surrogate (which llama.cpp reads from ED A0 80 and the
// like, but PCRE2 rejects) while matching: the same length in UTF-8 and,
// like a surrogate, neither a letter, number, mark, punctuation, symbol nor
// whitespace.
constexpr uint32_t kSurrogateStandIn = 0xE000;

std::string whitespace_class(bool negated) { return fmt::format("[{}{}]", negated ? "^" : "", kWhitespace); }

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

struct ClassMember {
  uint32_t first;
  uint32_t last;
};

uint32_t read_literal(std::string_view source, size_t& pos) {
  const size_t n_bytes = std::min(utf8_sequence_length(static_cast<uint8_t>(source[pos])), source.size() - pos);
  const std::vector<uint32_t> cps = decode_utf8_lenient(source.substr(pos, n_bytes));
  pos += n_bytes;
  return cps.front();
}

// A character or a range "x-y" of characters, at source[pos].
ClassMember read_class_member(std::string_view source, size_t& pos) {
  const uint32_t first = read_literal(source, pos);
  const bool is_range =
      pos + 1 < source.size() && source[pos] == '-' && source[pos + 1] != ']' && source[pos + 1] != '\\';
  if (!is_range) return {first, first};
  ++pos;
  return {first, read_literal(source, pos)};
}

// Non-ASCII whitespace in llama.cpp's whitespace set, ascending.
constexpr uint32_t kWideWhitespace[] = {0x85,   0xA0,   0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006,
                                        0x2007, 0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000};

void append_class_character(uint32_t cp, std::string& out) {
  if (cp >= 0x80) {
    out += fmt::format("\\x{{{:X}}}", cp);
    return;
  }
  // ASCII stands for itself, escaped where a class gives it a meaning.
  if (cp == '\\' || cp == ']' || cp == '[' || cp == '^' || cp == '-') out += '\\';
  out += static_cast<char>(cp);
}

void append_class_range(uint32_t first, uint32_t last, std::string& out) {
  if (first > last) return;
  append_class_character(first, out);
  if (last == first) return;
  out += '-';
  append_class_character(last, out);
}

// llama.cpp matches such expressions against text whose non-ASCII
// whitespace became U+000B, which no literal of a class can match: the
// members are written without those code points.
void append_without_wide_whitespace(uint32_t first, uint32_t last, std::string& out) {
  for (uint32_t space : kWideWhitespace) {
    if (space < first || space > last) continue;
    append_class_range(first, space - 1, out);
    first = space + 1;
  }
  append_class_range(first, last, out);
}

std::string pcre2_message(int code) {
  PCRE2_UCHAR buffer[256];
  const int n = pcre2_get_error_message(code, buffer, sizeof(buffer));
  return n < 0 ? fmt::format("PCRE2 error {}", code) : std::string(reinterpret_cast<const char*>(buffer));
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};
using MatchData = std::unique_ptr<pcre2_match_data, MatchDataDeleter>;

// Splits subject[begin, end) by one expression, appending the piece ends.
Status split_piece(const pcre2_code* code, std::string_view subject, size_t begin, size_t end,
                   pcre2_match_data* match_data, std::vector<size_t>& ends) {
  const auto* piece = reinterpret_cast<PCRE2_SPTR>(subject.data() + begin);
  const size_t length = end - begin;
  size_t kept = 0;  // piece bytes already assigned to words
  size_t offset = 0;
  uint32_t options = 0;
  while (offset < length) {
    const int rc = pcre2_match(code, piece, length, offset, options | PCRE2_NO_UTF_CHECK, match_data, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) {
      if (options == 0) break;
      // No non-empty match where an empty one was: step over one character,
      // as std::regex_iterator does.
      offset += utf8_sequence_length(piece[offset]);
      options = 0;
      continue;
    }
    if (rc < 0) {
      return RF_ERROR(kInvalidArgument, "text of {} bytes cannot be pre-tokenized: {}", length, pcre2_message(rc));
    }
    const PCRE2_SIZE* ovector = pcre2_get_ovector_pointer(match_data);
    const size_t match_begin = ovector[0];
    const size_t match_end = ovector[1];
    if (match_begin > kept) ends.push_back(begin + match_begin);
    kept = std::max(kept, match_begin);
    if (match_end == match_begin) {
      // llama.cpp makes an empty word here (no tokens, but no merge across
      // it either), then looks for a non-empty match at the same place.
      options = PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED;
      offset = match_begin;
      continue;
    }
    ends.push_back(begin + match_end);
    kept = match_end;
    offset = match_end;
    options = 0;
  }
  if (kept < length) ends.push_back(end);
  return ok();
}

}  // namespace

Result<std::string> translate_pattern(std::string_view pattern) {
  std::string source(pattern);
  replace_all(source, "((?=[\\p{L}])([^a-z]))", "[^\\P{L}a-z]");
  replace_all(source, "((?=[\\p{L}])([^A-Z]))", "[^\\P{L}A-Z]");
  if (source == "\\s+$") source = "(?<!\\s)\\s+$";

  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < source.size();) {
    const char c = source[i];
    if (c == '\\' && i + 1 < source.size()) {
      const char escaped = source[i + 1];
      i += 2;
      if (escaped == 's') {
        out += in_class ? std::string(kWhitespace) : whitespace_class(false);
      } else if (escaped == 'S' && !in_class) {
        out += whitespace_class(true);
      } else if (escaped == 'S') {
        return RF_ERROR(kInternal, "\\S inside a character class in '{}'", pattern);
      } else {
        out += c;
        out += escaped;
      }
      continue;
    }
    if (!in_class) {
      if (static_cast<unsigned char>(c) >= 0x80) {
        return RF_ERROR(kInternal, "a non-ASCII character outside a class in '{}'", pattern);
      }
      in_class = c == '[';
      out += c;
      ++i;
      // A ']' right after the opening (or its '^') is a member, not the end.
      if (in_class && i < source.size() && source[i] == '^') out += source[i++];
      if (in_class && i < source.size() && source[i] == ']') out += source[i++];
      continue;
    }
    if (c == ']') {
      in_class = false;
      out += c;
      ++i;
      continue;
    }
    // A literal member or range of a class.
    const ClassMember member = read_class_member(source, i);
    append_without_wide_whitespace(member.first, member.last, out);
  }
  return out;
}

void PreTokenizer::CodeDeleter::operator()(pcre2_real_code_8* code) const { pcre2_code_free(code); }

Result<PreTokenizer> PreTokenizer::create(std::span<const std::string_view> patterns) {
  std::vector<Code> codes;
  for (std::string_view pattern : patterns) {
    const std::string translated = RF_TRY(translate_pattern(pattern));
    int error = 0;
    PCRE2_SIZE error_offset = 0;
    Code code(pcre2_compile(reinterpret_cast<PCRE2_SPTR>(translated.data()), translated.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error, &error_offset, nullptr));
    if (!code) {
      return RF_ERROR(kInternal, "pre-tokenizer expression '{}' does not compile: {} at offset {}", translated,
                      pcre2_message(error), error_offset);
    }
    // JIT is only speed: where the platform refuses it (no executable
    // memory), pcre2_match interprets the same expression with the same result.
    pcre2_jit_compile(code.get(), PCRE2_JIT_COMPLETE);
    codes.push_back(std::move(code));
  }
  return PreTokenizer(std::move(codes));
}

Result<PreTokenizer::Words> PreTokenizer::split(std::string_view text) const {
  Words words;
  const std::vector<uint32_t> cps = decode_utf8_lenient(text);
  words.text.reserve(text.size());
  bool has_surrogate = false;
  for (uint32_t cp : cps) {
    append_utf8(cp, words.text);
    has_surrogate |= is_surrogate(cp);
  }
  if (words.text.empty()) return words;

  std::string stand_in;
  if (has_surrogate) {
    for (uint32_t cp : cps) append_utf8(is_surrogate(cp) ? kSurrogateStandIn : cp, stand_in);
  }
  const std::string_view subject = has_surrogate ? std::string_view(stand_in) : std::string_view(words.text);

  const MatchData match_data(pcre2_match_data_create(1, nullptr));
  if (!match_data) return RF_ERROR(kOutOfMemory, "cannot allocate PCRE2 match data");
  words.ends.push_back(words.text.size());
  std::vector<size_t> next;
  for (const Code& code : codes_) {
    next.clear();
    size_t begin = 0;
    for (size_t end : words.ends) {
      RF_TRY(split_piece(code.get(), subject, begin, end, match_data.get(), next));
      begin = end;
    }
    words.ends.swap(next);
  }
  return words;
}

}  // namespace rocmforge::tokenizer
