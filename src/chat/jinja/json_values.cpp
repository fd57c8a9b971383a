#include "chat/jinja/json_values.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

Result<Value> convert(const nlohmann::ordered_json& json, uint32_t depth) {
  if (depth > kMaxValueDepth) {
    return RF_ERROR(kInvalidArgument, "JSON input nests deeper than {} levels", kMaxValueDepth);
  }
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
    case nlohmann::ordered_json::value_t::discarded:
      return Value::none();
    case nlohmann::ordered_json::value_t::boolean:
      return Value::boolean(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value::integer(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      const auto u = json.get<uint64_t>();
      if (u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return Value::integer(static_cast<int64_t>(u));
      return Value::number(static_cast<double>(u));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value::number(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value::string(json.get<std::string>());
    case nlohmann::ordered_json::value_t::binary:
      return RF_ERROR(kInvalidArgument, "binary JSON values are not supported in templates");
    case nlohmann::ordered_json::value_t::array: {
      std::vector<Value> items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(RF_TRY(convert(item, depth + 1)));
      return Value::list(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      DictBuilder dict;
      for (const auto& [key, item] : json.items()) dict.set(key, RF_TRY(convert(item, depth + 1)));
      return std::move(dict).build();
    }
  }
  return Value::none();
}

void append_json_string(std::string_view text, bool ensure_ascii, std::string& out) {
  out += '"';
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = py_text::next_char(text, pos);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<uint32_t>(c));
        } else if (ensure_ascii && c >= 0x80) {
          if (c >= 0x10000) {
            const char32_t v = c - 0x10000;
            out += fmt::format("\\u{:04x}\\u{:04x}", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
          } else {
            out += fmt::format("\\u{:04x}", static_cast<uint32_t>(c));
          }
        } else {
          out += text.substr(start, pos - start);
        }
    }
  }
  out += '"';
}

std::string json_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  return python_float_repr(d);
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonFormat& format) : format_(format) {}

  Status write(const Value& value, uint32_t level) {
    switch (value.kind()) {
      case Value::Kind::kNone:
        out_ += "null";
        return ok();
      case Value::Kind::kBool:
        out_ += value.as_bool() ? "true" : "false";
        return ok();
      case Value::Kind::kInt:
        out_ += fmt::format("{}", value.as_int());
        return ok();
      case Value::Kind::kFloat:
        out_ += json_number(value.as_float());
        return ok();
      case Value::Kind::kString:
        append_json_string(value.as_string(), format_.ensure_ascii, out_);
        return ok();
      case Value::Kind::kList:
        return write_list(value.items(), level);
      case Value::Kind::kDict:
        return write_dict(value.as_dict(), level);
      default:
        return RF_ERROR(kInvalidArgument, "Object of type {} is not JSON serializable", value.type_name());
    }
  }

  std::string take() && { return std::move(out_); }

 private:
  void newline(uint32_t level) {
    if (!format_.indent) return;
    out_ += '\n';
    for (uint32_t i = 0; i < level; ++i) out_ += *format_.indent;
  }

  Status write_list(const std::vector<Value>& items, uint32_t level) {
    if (items.empty()) {
      out_ += "[]";
      return ok();
    }
    out_ += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out_ += format_.item_separator;
      newline(level + 1);
      RF_TRY(write(items[i], level + 1));
    }
    newline(level);
    out_ += ']';
    return ok();
  }

  Result<std::string> key_text(const Value& key) const {
    switch (key.kind()) {
      case Value::Kind::kString:
        return key.as_string();
      case Value::Kind::kNone:
        return std::string("null");
      case Value::Kind::kBool:
        return std::string(key.as_bool() ? "true" : "false");
      case Value::Kind::kInt:
        return fmt::format("{}", key.as_int());
      case Value::Kind::kFloat:
        return json_number(key.as_float());
      default:
        return RF_ERROR(kInvalidArgument, "keys must be str, int, float, bool or None, not {}", key.type_name());
    }
  }

  Status write_dict(const DictData& dict, uint32_t level) {
    if (dict.entries.empty()) {
      out_ += "{}";
      return ok();
    }
    std::vector<std::pair<std::string, const Value*>> entries;
    for (const auto& [key, value] : dict.entries) entries.emplace_back(RF_TRY(key_text(key)), &value);
    if (format_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    out_ += '{';
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i > 0) out_ += format_.item_separator;
      newline(level + 1);
      append_json_string(entries[i].first, format_.ensure_ascii, out_);
      out_ += format_.key_separator;
      RF_TRY(write(*entries[i].second, level + 1));
    }
    newline(level);
    out_ += '}';
    return ok();
  }

  const JsonFormat& format_;
  std::string out_;
};

}  // namespace

Result<Value> from_json(const nlohmann::ordered_json& json) { return convert(json, 0); }

Result<std::string> to_json_text(const Value& value, const JsonFormat& format) {
  JsonWriter writer(format);
  RF_TRY(writer.write(value, 0));
  return std::move(writer).take();
}

}  // namespace rocmforge::chat::jinja
