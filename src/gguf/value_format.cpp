#include "gguf/value_format.h"

#include <type_traits>

#include <fmt/format.h>

namespace rocmforge::gguf {
namespace {

bool is_utf8_continuation(char c) { return (static_cast<unsigned char>(c) & 0xc0) == 0x80; }

std::string format_element(const Array& array, size_t i, const ValueFormat& format) {
  switch (array.element_type) {
    case ValueType::kString: return quote(array.strings[i], format.max_string_bytes);
    case ValueType::kArray: return format_array(array.arrays[i], format);
    case ValueType::kFloat32: return fmt::format("{}", static_cast<float>(array.floats[i]));
    case ValueType::kFloat64: return fmt::format("{}", array.floats[i]);
    case ValueType::kBool: return array.ints[i] != 0 ? "true" : "false";
    case ValueType::kUint64: return fmt::format("{}", static_cast<uint64_t>(array.ints[i]));
    default: return fmt::format("{}", array.ints[i]);
  }
}

}  // namespace

std::string escape(std::string_view text, size_t max_bytes) {
  size_t shown = std::min(text.size(), max_bytes);
  while (shown > 0 && shown < text.size() && is_utf8_continuation(text[shown])) --shown;
  std::string out;
  out.reserve(shown);
  for (const char c : text.substr(0, shown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  if (shown < text.size()) out += "...";
  return out;
}

std::string quote(std::string_view text, size_t max_bytes) {
  std::string out = "\"";
  out += escape(text, max_bytes);
  out += '"';
  return out;
}

std::string format_array(const Array& array, const ValueFormat& format) {
  const size_t n = array.size();
  const size_t shown = std::min(n, format.max_items);
  std::string out = "[";
  for (size_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    out += format_element(array, i, format);
  }
  if (shown < n) out += fmt::format("{}... {} items", shown > 0 ? ", " : "", n);
  out += "]";
  return out;
}

std::string format_value(const Value& value, const ValueFormat& format) {
  return std::visit(
      [&](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return quote(v, format.max_string_bytes);
        } else if constexpr (std::is_same_v<T, std::shared_ptr<const Array>>) {
          return format_array(*v, format);
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "true" : "false";
        } else {
          return fmt::format("{}", +v);  // + prints int8/uint8 as numbers, not characters
        }
      },
      value.data);
}

std::string value_type_string(const Value& value) {
  if (const auto* array = std::get_if<std::shared_ptr<const Array>>(&value.data)) {
    return fmt::format("array[{}]", value_type_name((*array)->element_type));
  }
  return std::string(value_type_name(value.type()));
}

}  // namespace rocmforge::gguf
