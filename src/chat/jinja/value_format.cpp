#include "chat/jinja/value_format.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "chat/jinja/py_text.h"

namespace rocmforge::chat::jinja {
namespace {

// Characters Python's repr() escapes besides ASCII controls: the C1
// controls and the separators and format characters that are not printable
// (an approximation of str.isprintable() for the characters text carries).
bool is_unprintable(char32_t c) {
  return (c >= 0x7F && c <= 0xA0) || c == 0xAD || c == 0x1680 || (c >= 0x2000 && c <= 0x200F) ||
         (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F) || c == 0x3000 || c == 0xFEFF ||
         (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFFF9 && c <= 0xFFFB);
}

void append_repr_escape(char32_t c, std::string& out) {
  if (c <= 0xFF) {
    out += fmt::format("\\x{:02x}", static_cast<uint32_t>(c));
  } else if (c <= 0xFFFF) {
    out += fmt::format("\\u{:04x}", static_cast<uint32_t>(c));
  } else {
    out += fmt::format("\\U{:08x}", static_cast<uint32_t>(c));
  }
}

void append_repr(const Value& value, uint32_t depth, size_t max_bytes, std::string& out);

void append_items(const std::vector<Value>& items, uint32_t depth, size_t max_bytes, std::string& out) {
  for (size_t i = 0; i < items.size() && out.size() <= max_bytes; ++i) {
    if (i > 0) out += ", ";
    append_repr(items[i], depth + 1, max_bytes, out);
  }
}

void append_dict(const DictData& dict, uint32_t depth, size_t max_bytes, std::string& out) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : dict.entries) {
    if (out.size() > max_bytes) return;
    if (!first) out += ", ";
    first = false;
    append_repr(key, depth + 1, max_bytes, out);
    out += ": ";
    append_repr(value, depth + 1, max_bytes, out);
  }
  out += '}';
}

void append_repr(const Value& value, uint32_t depth, size_t max_bytes, std::string& out) {
  if (out.size() > max_bytes) return;
  // Only chains of namespaces can get this deep; Python prints a recursive
  // container as "..." too.
  if (depth > kMaxValueDepth) {
    out += "...";
    return;
  }
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      out += "Undefined";
      return;
    case Value::Kind::kString:
      if (value.is_markup()) out += "Markup(";
      out += quote_string(value.as_string());
      if (value.is_markup()) out += ')';
      return;
    case Value::Kind::kList:
      if (value.is_tuple()) {
        out += '(';
        append_items(value.items(), depth, max_bytes, out);
        if (value.items().size() == 1) out += ',';
        out += ')';
      } else {
        out += '[';
        append_items(value.items(), depth, max_bytes, out);
        out += ']';
      }
      return;
    case Value::Kind::kDict:
      append_dict(value.as_dict(), depth, max_bytes, out);
      return;
    case Value::Kind::kNamespace: {
      out += "<Namespace {";
      bool first = true;
      for (const auto& [name, attr] : value.as_namespace().attributes()) {
        if (out.size() > max_bytes) return;
        if (!first) out += ", ";
        first = false;
        out += quote_string(name);
        out += ": ";
        append_repr(attr, depth + 1, max_bytes, out);
      }
      out += "}>";
      return;
    }
    default:
      out += to_str(value);
      return;
  }
}

}  // namespace

std::string python_float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, as "d.ddde+XX".
  char buf[64];
  const auto result = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));
  const size_t e = sci.find('e');
  std::string digits;
  bool negative = false;
  for (char c : sci.substr(0, e)) {
    if (c == '-') negative = true;
    if (c >= '0' && c <= '9') digits += c;
  }
  const int exponent = std::atoi(std::string(sci.substr(e + 1)).c_str());
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (digits.size() > 1) out.append(".").append(digits, 1);
    out += fmt::format("e{}{:02}", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out;
  }
  if (exponent < 0) {
    out.append("0.").append(static_cast<size_t>(-exponent - 1), '0').append(digits);
    return out;
  }
  const auto integer_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) {
    out.append(digits).append(integer_digits - digits.size(), '0').append(".0");
  } else {
    out.append(digits, 0, integer_digits).append(".").append(digits, integer_digits);
  }
  return out;
}

std::string quote_string(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = py_text::next_char(text, pos);
    if (c == static_cast<char32_t>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || is_unprintable(c)) {
      append_repr_escape(c, out);
    } else {
      out += text.substr(start, pos - start);
    }
  }
  out += quote;
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string to_str(const Value& value, size_t max_bytes) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return value.as_bool() ? "True" : "False";
    case Value::Kind::kInt:
      return fmt::format("{}", value.as_int());
    case Value::Kind::kFloat:
      return python_float_repr(value.as_float());
    case Value::Kind::kString:
      return value.as_string();
    case Value::Kind::kCallable:
      return fmt::format("<function {}>", value.as_callable().name);
    default:
      return to_repr(value, max_bytes);
  }
}

std::string to_repr(const Value& value, size_t max_bytes) {
  std::string out;
  append_repr(value, 0, max_bytes, out);
  return out;
}

Result<std::string> percent_format(std::string_view format, const std::vector<Value>& args) {
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') {
      out += format[i];
      continue;
    }
    if (++i >= format.size()) return RF_ERROR(kInvalidArgument, "incomplete format");
    if (format[i] == '%') {
      out += '%';
      continue;
    }
    int precision = -1;
    if (format[i] == '.') {
      precision = 0;
      while (++i < format.size() && format[i] >= '0' && format[i] <= '9' && precision < 100) {
        precision = precision * 10 + (format[i] - '0');
      }
      if (i >= format.size()) return RF_ERROR(kInvalidArgument, "incomplete format");
    }
    const char conversion = format[i];
    if (next >= args.size()) return RF_ERROR(kInvalidArgument, "not enough arguments for format string");
    const Value& arg = args[next++];
    switch (conversion) {
      case 's':
        out += to_str(arg);
        break;
      case 'r':
        out += to_repr(arg);
        break;
      case 'd':
      case 'i':
        if (!arg.is_number()) {
          return RF_ERROR(kInvalidArgument, "%{} format: a real number is required, not {}", conversion,
                          arg.type_name());
        }
        out += arg.is_float() ? fmt::format("{}", static_cast<int64_t>(std::trunc(arg.as_float())))
                              : fmt::format("{}", arg.as_int());
        break;
      case 'f':
        if (!arg.is_number()) {
          return RF_ERROR(kInvalidArgument, "must be real number, not {}", arg.type_name());
        }
        out += fmt::format("{:.{}f}", arg.as_float(), precision < 0 ? 6 : precision);
        break;
      default:
        return RF_ERROR(kUnsupported, "format conversion '%{}' is not supported", conversion);
    }
  }
  if (next < args.size()) return RF_ERROR(kInvalidArgument, "not all arguments converted during string formatting");
  return out;
}

}  // namespace rocmforge::chat::jinja
