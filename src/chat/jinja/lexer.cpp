#include "chat/jinja/lexer.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "chat/jinja/py_text.h"

namespace rocmforge::chat::jinja {
namespace {

// Line endings as "\n", one trailing newline dropped.
std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// Python's str.rstrip() on the text before a `{%-`.
std::string_view rstrip_space(std::string_view text) {
  const std::string stripped = py_text::strip(text, std::nullopt, py_text::StripSide::kRight);
  return text.substr(0, stripped.size());
}

bool all_space(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (!py_text::is_space(py_text::next_char(text, pos))) return false;
  }
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(normalize_newlines(source)) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  Result<std::vector<Token>> run() {
    while (pos_ < src_.size()) {
      const size_t tag = find_tag_start(pos_);
      if (tag == std::string::npos) {
        emit_text(pos_, src_.substr(pos_));
        break;
      }
      RF_TRY(lex_tag(tag));
    }
    tokens_.push_back(Token{TokenKind::kEnd, "", 0, 0.0, position(src_.size())});
    return std::move(tokens_);
  }

 private:
  // Tokens come in source order, so columns are counted on from the last
  // position asked for (a long line stays linear, not quadratic).
  SourcePos position(size_t offset) {
    const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - 1;
    const size_t line_start = *it;
    if (cursor_offset_ < line_start || cursor_offset_ > offset) {
      cursor_offset_ = line_start;
      cursor_column_ = 1;
    }
    cursor_column_ += static_cast<int>(py_text::char_count(std::string_view(src_).substr(cursor_offset_, offset - cursor_offset_)));
    cursor_offset_ = offset;
    return {static_cast<int>(it - line_starts_.begin()) + 1, cursor_column_};
  }

  Error error_at(size_t offset, std::string_view message) {
    return RF_ERROR(kParse, "{}: {}", describe(position(offset)), message);
  }

  bool starts_with(size_t at, std::string_view s) const { return std::string_view(src_).substr(at).starts_with(s); }

  size_t find_tag_start(size_t from) const {
    for (size_t i = src_.find('{', from); i != std::string::npos; i = src_.find('{', i + 1)) {
      if (i + 1 < src_.size() && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#')) return i;
    }
    return std::string::npos;
  }

  void emit_text(size_t offset, std::string_view text) {
    if (!text.empty()) tokens_.push_back(Token{TokenKind::kText, std::string(text), 0, 0.0, position(offset)});
  }

  void emit(TokenKind kind, size_t offset, std::string text = {}) {
    tokens_.push_back(Token{kind, std::move(text), 0, 0.0, position(offset)});
  }

  // The text before a tag, with the tag's whitespace control applied.
  std::string_view controlled_text(std::string_view text, char sign, bool is_variable) const {
    if (sign == '-') return rstrip_space(text);
    if (sign == '+' || is_variable) return text;
    // lstrip_blocks: drop the whitespace between the line's start and the tag.
    const size_t line_start = text.rfind('\n') == std::string_view::npos ? 0 : text.rfind('\n') + 1;
    if ((line_start > 0 || line_starting_) && line_start < text.size() && all_space(text.substr(line_start))) {
      return text.substr(0, line_start);
    }
    return text;
  }

  // Skips whitespace and returns the position after it.
  size_t skip_space(size_t at) const {
    while (at < src_.size() && is_ascii_space(src_[at])) ++at;
    return at;
  }

  // `{%(-|+|)\s*raw\s*(-%}\s*|%})` at `at`: the end of the match, or nullopt.
  std::optional<size_t> match_raw_begin(size_t at) const {
    size_t p = at + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    p = skip_space(p);
    if (!starts_with(p, "raw")) return std::nullopt;
    p = skip_space(p + 3);
    if (starts_with(p, "-%}")) return skip_space(p + 3);
    if (starts_with(p, "%}")) return p + 2;
    return std::nullopt;
  }

  Status lex_tag(size_t tag) {
    const char kind = src_[tag + 1];
    const char sign = tag + 2 < src_.size() && (src_[tag + 2] == '-' || src_[tag + 2] == '+') ? src_[tag + 2] : '\0';
    emit_text(pos_, controlled_text(std::string_view(src_).substr(pos_, tag - pos_), sign, kind == '{'));
    const size_t body = tag + 2 + (sign != '\0' ? 1 : 0);
    if (kind == '%') {
      if (const auto raw_end = match_raw_begin(tag)) return lex_raw(*raw_end);
    }
    if (kind == '#') return lex_comment(tag, body);
    emit(kind == '%' ? TokenKind::kBlockBegin : TokenKind::kVariableBegin, tag);
    return lex_inside_tag(tag, body, kind == '%');
  }

  Status lex_comment(size_t tag, size_t body) {
    size_t close = src_.find("#}", body);
    if (close == std::string::npos) return error_at(tag, "missing end of comment tag");
    const char sign = close > body && (src_[close - 1] == '-' || src_[close - 1] == '+') ? src_[close - 1] : '\0';
    return finish_block_end(close + 2, sign);
  }

  // After `%}` or `#}` (ending at `after`): the sign's whitespace control,
  // else trim_blocks.
  Status finish_block_end(size_t after, char sign) {
    if (sign == '-') {
      after = skip_unicode_space(after);
    } else if (sign != '+' && after < src_.size() && src_[after] == '\n') {
      ++after;
    }
    line_starting_ = after > 0 && src_[after - 1] == '\n';
    pos_ = after;
    return ok();
  }

  size_t skip_unicode_space(size_t at) const {
    while (at < src_.size()) {
      size_t next = at;
      if (!py_text::is_space(py_text::next_char(src_, next))) break;
      at = next;
    }
    return at;
  }

  Status lex_raw(size_t content) {
    line_starting_ = content > 0 && src_[content - 1] == '\n';
    for (size_t at = src_.find("{%", content); at != std::string::npos; at = src_.find("{%", at + 1)) {
      size_t p = at + 2;
      const char sign = p < src_.size() && (src_[p] == '-' || src_[p] == '+') ? src_[p] : '\0';
      if (sign != '\0') ++p;
      p = skip_space(p);
      if (!starts_with(p, "endraw")) continue;
      p = skip_space(p + 6);
      char end_sign = '\0';
      if (starts_with(p, "+%}") || starts_with(p, "-%}")) {
        end_sign = src_[p];
        p += 3;
      } else if (starts_with(p, "%}")) {
        p += 2;
      } else {
        continue;
      }
      emit_text(content, controlled_text(std::string_view(src_).substr(content, at - content), sign, false));
      return finish_block_end(p, end_sign);
    }
    return error_at(content, "missing end of raw directive");
  }

  // Tokens up to the tag's end; brackets must balance first.
  Status lex_inside_tag(size_t tag, size_t at, bool block) {
    std::vector<char> closers;
    while (true) {
      if (at >= src_.size()) return error_at(tag, block ? "unexpected end of template, expected '%}'"
                                                        : "unexpected end of template, expected '}}'");
      if (closers.empty()) {
        const std::string_view end = block ? "%}" : "}}";
        for (const char sign : {'+', '-', '\0'}) {
          if (sign == '+' && !block) continue;
          const std::string expected = sign != '\0' ? std::string(1, sign) + std::string(end) : std::string(end);
          if (!starts_with(at, expected)) continue;
          emit(block ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, at);
          if (block) return finish_block_end(at + expected.size(), sign);
          pos_ = sign == '-' ? skip_unicode_space(at + expected.size()) : at + expected.size();
          line_starting_ = pos_ > 0 && src_[pos_ - 1] == '\n';
          return ok();
        }
      }
      const char c = src_[at];
      if (is_ascii_space(c)) {
        ++at;
      } else if (is_digit(c)) {
        at = RF_TRY(lex_number(at));
      } else if (is_name_start(c)) {
        size_t end = at;
        while (end < src_.size() && is_name_char(src_[end])) ++end;
        emit(TokenKind::kName, at, src_.substr(at, end - at));
        at = end;
      } else if (c == '\'' || c == '"') {
        at = RF_TRY(lex_string(at));
      } else {
        at = RF_TRY(lex_operator(at, closers));
      }
    }
  }

  Result<size_t> lex_operator(size_t at, std::vector<char>& closers) {
    static constexpr std::string_view kTwo[] = {"//", "**", "==", "!=", ">=", "<="};
    static constexpr std::string_view kOne = "+-/*%~[](){}><=.:|,;";
    for (std::string_view op : kTwo) {
      if (starts_with(at, op)) {
        emit(TokenKind::kOperator, at, std::string(op));
        return at + 2;
      }
    }
    const char c = src_[at];
    if (kOne.find(c) == std::string_view::npos) {
      size_t end = at;
      py_text::next_char(src_, end);
      return error_at(at, fmt::format("unexpected character '{}'", src_.substr(at, end - at)));
    }
    if (c == '(' || c == '[' || c == '{') closers.push_back(c == '(' ? ')' : c == '[' ? ']' : '}');
    if (c == ')' || c == ']' || c == '}') {
      if (closers.empty()) return error_at(at, fmt::format("unexpected '{}'", c));
      if (closers.back() != c) return error_at(at, fmt::format("unexpected '{}', expected '{}'", c, closers.back()));
      closers.pop_back();
    }
    emit(TokenKind::kOperator, at, std::string(1, c));
    return at + 1;
  }

  // Digits with single '_' between them, from `at`; the end.
  size_t digits_end(size_t at, bool (*is_valid)(char)) const {
    size_t end = at;
    while (end < src_.size()) {
      if (is_valid(src_[end])) {
        ++end;
      } else if (src_[end] == '_' && end > at && end + 1 < src_.size() && is_valid(src_[end + 1])) {
        ++end;
      } else {
        break;
      }
    }
    return end;
  }

  Result<size_t> lex_number(size_t at);
  Result<size_t> lex_string(size_t at);

  std::string src_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool line_starting_ = true;
  size_t cursor_offset_ = 0;
  int cursor_column_ = 1;
};

bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_binary(char c) { return c == '0' || c == '1'; }

std::string without_underscores(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += c;
  }
  return out;
}

Result<size_t> Lexer::lex_number(size_t at) {
  // Floats first, as jinja2 tries them first: digits, then a fraction and/or
  // an exponent. A float never starts right after a '.' ("x.1.2").
  const size_t int_end = digits_end(at, is_digit);
  size_t end = int_end;
  bool is_float = false;
  if (at == 0 || src_[at - 1] != '.') {
    if (end + 1 < src_.size() && src_[end] == '.' && is_digit(src_[end + 1])) {
      end = digits_end(end + 1, is_digit);
      is_float = true;
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t exp = end + 1;
      if (exp < src_.size() && (src_[exp] == '+' || src_[exp] == '-')) ++exp;
      if (exp < src_.size() && is_digit(src_[exp])) {
        end = digits_end(exp, is_digit);
        is_float = true;
      }
    }
  }
  if (is_float) {
    Token token{TokenKind::kFloat, src_.substr(at, end - at), 0, 0.0, position(at)};
    token.number = std::strtod(without_underscores(token.text).c_str(), nullptr);
    tokens_.push_back(std::move(token));
    return end;
  }
  int base = 10;
  size_t digits = at;
  end = int_end;
  if (src_[at] == '0' && at + 2 < src_.size()) {
    const char prefix = static_cast<char>(src_[at + 1] | 0x20);
    bool (*valid)(char) = prefix == 'x' ? is_hex : prefix == 'o' ? is_octal : prefix == 'b' ? is_binary : nullptr;
    size_t first = at + 2;
    if (first < src_.size() && src_[first] == '_') ++first;
    if (valid != nullptr && first < src_.size() && valid(src_[first])) {
      base = prefix == 'x' ? 16 : prefix == 'o' ? 8 : 2;
      digits = first;
      end = digits_end(first, valid);
    }
  }
  if (base == 10 && src_[at] == '0') {
    // "0", "00", "0_0": a decimal literal may not start with 0 otherwise.
    end = at + 1;
    while (end < src_.size() && (src_[end] == '0' || (src_[end] == '_' && end + 1 < src_.size() && src_[end + 1] == '0'))) {
      ++end;
    }
  }
  const std::string text = without_underscores(std::string_view(src_).substr(digits, end - digits));
  errno = 0;
  char* parsed_end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &parsed_end, base);
  if (errno == ERANGE || value > static_cast<unsigned long long>(INT64_MAX)) {
    return RF_ERROR(kCapacity, "{}: integer literal {} does not fit in 64 bits", describe(position(at)),
                    src_.substr(at, end - at));
  }
  Token token{TokenKind::kInteger, src_.substr(at, end - at), static_cast<int64_t>(value), 0.0, position(at)};
  tokens_.push_back(std::move(token));
  return end;
}

// Python's unicode-escape decoding of a string literal's body.
Result<std::string> unescape(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\\' || i + 1 >= body.size()) {
      out += body[i];
      continue;
    }
    const char c = body[++i];
    auto hex_escape = [&](size_t n) -> Status {
      uint32_t value = 0;
      for (size_t k = 1; k <= n; ++k) {
        if (i + k >= body.size() || !is_hex(body[i + k])) return RF_ERROR(kParse, "truncated \\{} escape", c);
        const char h = body[i + k];
        value = value * 16 + static_cast<uint32_t>(is_digit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
      }
      if (value > 0x10FFFF) return RF_ERROR(kParse, "illegal Unicode character in \\{} escape", c);
      py_text::append_char(value, out);
      i += n;
      return ok();
    };
    switch (c) {
      case '\n': break;  // line continuation
      case '\\': out += '\\'; break;
      case '\'': out += '\''; break;
      case '"': out += '"'; break;
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case 'x': RF_TRY(hex_escape(2)); break;
      case 'u': RF_TRY(hex_escape(4)); break;
      case 'U': RF_TRY(hex_escape(8)); break;
      default:
        if (is_octal(c)) {
          uint32_t value = 0;
          size_t n = 0;
          for (; n < 3 && i + n < body.size() && is_octal(body[i + n]); ++n) value = value * 8 + (body[i + n] - '0');
          py_text::append_char(value, out);
          i += n - 1;
        } else if (c == 'N') {
          return RF_ERROR(kParse, "\\N{{...}} escapes are not supported");
        } else {
          out += '\\';  // Python keeps an unknown escape as it is
          out += c;
        }
    }
  }
  return out;
}

Result<size_t> Lexer::lex_string(size_t at) {
  const char quote = src_[at];
  size_t end = at + 1;
  while (end < src_.size() && src_[end] != quote) end += src_[end] == '\\' ? 2 : 1;
  if (end >= src_.size()) return error_at(at, "unterminated string literal");
  auto value = unescape(std::string_view(src_).substr(at + 1, end - at - 1));
  if (!value) return error_at(at, std::move(value).error().message());
  emit(TokenKind::kString, at, std::move(*value));
  return end + 1;
}

}  // namespace

std::string describe(SourcePos pos) { return fmt::format("line {}, column {}", pos.line, pos.column); }

Result<std::vector<Token>> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace rocmforge::chat::jinja
