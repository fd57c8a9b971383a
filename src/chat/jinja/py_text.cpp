#include "chat/jinja/py_text.h"

#include <algorithm>

namespace rocmforge::chat::jinja::py_text {
namespace {

bool is_continuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

bool is_ascii_upper(char32_t c) { return c >= 'A' && c <= 'Z'; }
bool is_ascii_lower(char32_t c) { return c >= 'a' && c <= 'z'; }
bool is_ascii_alpha(char32_t c) { return is_ascii_upper(c) || is_ascii_lower(c); }
bool is_ascii_digit(char32_t c) { return c >= '0' && c <= '9'; }
char to_upper(char c) { return is_ascii_lower(static_cast<unsigned char>(c)) ? static_cast<char>(c - 32) : c; }
char to_lower(char c) { return is_ascii_upper(static_cast<unsigned char>(c)) ? static_cast<char>(c + 32) : c; }

std::vector<char32_t> decode(std::string_view text) {
  std::vector<char32_t> out;
  for (size_t pos = 0; pos < text.size();) out.push_back(next_char(text, pos));
  return out;
}

bool contains(const std::vector<char32_t>& set, char32_t c) { return std::find(set.begin(), set.end(), c) != set.end(); }

// Splits on whitespace runs, from the left, at most `maxsplit` times.
std::vector<std::string> split_whitespace(std::string_view text, int64_t maxsplit) {
  std::vector<std::string> out;
  size_t pos = 0;
  auto skip_space = [&] {
    while (pos < text.size()) {
      size_t next = pos;
      if (!is_space(next_char(text, next))) break;
      pos = next;
    }
  };
  skip_space();
  while (pos < text.size()) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      out.emplace_back(text.substr(pos));
      return out;
    }
    const size_t start = pos;
    size_t end = pos;
    while (pos < text.size()) {
      size_t next = pos;
      if (is_space(next_char(text, next))) break;
      pos = next;
      end = pos;
    }
    out.emplace_back(text.substr(start, end - start));
    skip_space();
  }
  return out;
}

// The whitespace split from the right (str.rsplit(None, maxsplit)).
std::vector<std::string> rsplit_whitespace(std::string_view text, int64_t maxsplit) {
  const std::vector<size_t> offsets = char_offsets(text);
  const std::vector<char32_t> chars = decode(text);
  std::vector<std::string> out;
  size_t end = chars.size();
  auto skip_space = [&] {
    while (end > 0 && is_space(chars[end - 1])) --end;
  };
  skip_space();
  while (end > 0) {
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) == maxsplit) {
      out.emplace_back(text.substr(0, offsets[end]));
      break;
    }
    size_t start = end;
    while (start > 0 && !is_space(chars[start - 1])) --start;
    out.emplace_back(text.substr(offsets[start], offsets[end] - offsets[start]));
    end = start;
    skip_space();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

int64_t char_index_of_byte(std::string_view text, size_t byte_offset) {
  return static_cast<int64_t>(char_count(text.substr(0, byte_offset)));
}

}  // namespace

char32_t next_char(std::string_view text, size_t& pos) {
  const auto lead = static_cast<uint8_t>(text[pos]);
  size_t length = 0;
  char32_t c = 0;
  if (lead < 0x80) {
    ++pos;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    length = 2;
    c = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    c = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    c = lead & 0x07;
  }
  if (length == 0 || pos + length > text.size()) {
    ++pos;
    return lead;
  }
  for (size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<uint8_t>(text[pos + i]);
    if (!is_continuation(byte)) {
      ++pos;
      return lead;
    }
    c = (c << 6) | (byte & 0x3F);
  }
  pos += length;
  return c;
}

void append_char(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

bool is_ascii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return static_cast<uint8_t>(c) < 0x80; });
}

size_t char_count(std::string_view text) {
  if (is_ascii(text)) return text.size();
  size_t n = 0;
  for (size_t pos = 0; pos < text.size(); ++n) next_char(text, pos);
  return n;
}

std::vector<size_t> char_offsets(std::string_view text) {
  std::vector<size_t> offsets;
  offsets.reserve(text.size() + 1);
  for (size_t pos = 0; pos < text.size();) {
    offsets.push_back(pos);
    next_char(text, pos);
  }
  offsets.push_back(text.size());
  return offsets;
}

bool is_space(char32_t c) {
  if (c <= 0x20) return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}

std::string strip(std::string_view text, const std::optional<std::string>& chars, StripSide side) {
  const std::vector<char32_t> set = chars ? decode(*chars) : std::vector<char32_t>{};
  auto strippable = [&](char32_t c) { return chars ? contains(set, c) : is_space(c); };
  const std::vector<size_t> offsets = char_offsets(text);
  const std::vector<char32_t> decoded = decode(text);
  size_t begin = 0;
  size_t end = decoded.size();
  if (side != StripSide::kRight) {
    while (begin < end && strippable(decoded[begin])) ++begin;
  }
  if (side != StripSide::kLeft) {
    while (end > begin && strippable(decoded[end - 1])) --end;
  }
  return std::string(text.substr(offsets[begin], offsets[end] - offsets[begin]));
}

std::vector<std::string> split(std::string_view text, const std::optional<std::string>& sep, int64_t maxsplit) {
  if (!sep) return split_whitespace(text, maxsplit);
  std::vector<std::string> out;
  size_t start = 0;
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    const size_t hit = text.find(*sep, start);
    if (hit == std::string_view::npos) break;
    out.emplace_back(text.substr(start, hit - start));
    start = hit + sep->size();
  }
  out.emplace_back(text.substr(start));
  return out;
}

std::vector<std::string> rsplit(std::string_view text, const std::optional<std::string>& sep, int64_t maxsplit) {
  if (!sep) return rsplit_whitespace(text, maxsplit);
  std::vector<std::string> out;
  size_t end = text.size();
  while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
    if (end < sep->size()) break;
    const size_t hit = text.rfind(*sep, end - sep->size());
    if (hit == std::string_view::npos) break;
    out.emplace_back(text.substr(hit + sep->size(), end - hit - sep->size()));
    end = hit;
  }
  out.emplace_back(text.substr(0, end));
  std::reverse(out.begin(), out.end());
  return out;
}

std::optional<std::string> replace(std::string_view text, std::string_view from, std::string_view to, int64_t count,
                                   size_t max_bytes) {
  std::string out;
  int64_t done = 0;
  auto room = [&] { return out.size() <= max_bytes; };
  if (from.empty()) {
    // Python inserts `to` before every character and at the end.
    const std::vector<size_t> offsets = char_offsets(text);
    for (size_t i = 0; i + 1 < offsets.size() && room(); ++i) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      out += text.substr(offsets[i], offsets[i + 1] - offsets[i]);
    }
    if (count < 0 || done < count) out += to;
    return room() ? std::optional<std::string>(std::move(out)) : std::nullopt;
  }
  size_t start = 0;
  while ((count < 0 || done < count) && room()) {
    const size_t hit = text.find(from, start);
    if (hit == std::string_view::npos) break;
    out += text.substr(start, hit - start);
    out += to;
    start = hit + from.size();
    ++done;
  }
  out += text.substr(start);
  return room() ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

int64_t find(std::string_view text, std::string_view needle) {
  const size_t hit = text.find(needle);
  return hit == std::string_view::npos ? -1 : char_index_of_byte(text, hit);
}

int64_t rfind(std::string_view text, std::string_view needle) {
  const size_t hit = text.rfind(needle);
  return hit == std::string_view::npos ? -1 : char_index_of_byte(text, hit);
}

int64_t count(std::string_view text, std::string_view needle) {
  if (needle.empty()) return static_cast<int64_t>(char_count(text)) + 1;
  int64_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string_view::npos; pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), to_upper);
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), to_lower);
  return out;
}

std::string title(std::string_view text) {
  std::string out(text);
  bool previous_cased = false;
  for (char& c : out) {
    const bool cased = is_ascii_alpha(static_cast<unsigned char>(c));
    if (cased) c = previous_cased ? to_lower(c) : to_upper(c);
    previous_cased = cased;
  }
  return out;
}

std::string capitalize(std::string_view text) {
  std::string out = lower(text);
  if (!out.empty()) out[0] = to_upper(out[0]);
  return out;
}

bool is_class(std::string_view text, CharClass cls) {
  if (text.empty()) return false;
  bool any_cased = false;
  for (size_t pos = 0; pos < text.size();) {
    const char32_t c = next_char(text, pos);
    switch (cls) {
      case CharClass::kDigit:
        if (!is_ascii_digit(c)) return false;
        break;
      case CharClass::kAlpha:
        if (!is_ascii_alpha(c)) return false;
        break;
      case CharClass::kAlnum:
        if (!is_ascii_alpha(c) && !is_ascii_digit(c)) return false;
        break;
      case CharClass::kSpace:
        if (!is_space(c)) return false;
        break;
      case CharClass::kLower:
        if (is_ascii_upper(c)) return false;
        any_cased = any_cased || is_ascii_lower(c);
        break;
      case CharClass::kUpper:
        if (is_ascii_lower(c)) return false;
        any_cased = any_cased || is_ascii_upper(c);
        break;
    }
  }
  return (cls != CharClass::kLower && cls != CharClass::kUpper) || any_cased;
}

}  // namespace rocmforge::chat::jinja::py_text
