#include "chat/jinja/access.h"

#include <charconv>

#include <fmt/format.h>

#include "chat/jinja/builtins.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

Value no_attribute(const Value& object, std::string_view name) {
  return Value::undefined(fmt::format("'{} object' has no attribute '{}'", object.type_name(), name));
}

Value no_element(const Value& object, const Value& key) {
  if (key.is_string()) return no_attribute(object, key.as_string());
  return Value::undefined(fmt::format("'{} object' has no element {}", object.type_name(), to_repr(key)));
}

// A character of `text` by Python index (negative counts from the end).
std::optional<std::string> char_at(const std::string& text, int64_t index) {
  if (py_text::is_ascii(text)) {
    const auto n = static_cast<int64_t>(text.size());
    if (index < 0) index += n;
    if (index < 0 || index >= n) return std::nullopt;
    return std::string(1, text[static_cast<size_t>(index)]);
  }
  const std::vector<size_t> offsets = py_text::char_offsets(text);
  const auto n = static_cast<int64_t>(offsets.size()) - 1;
  if (index < 0) index += n;
  if (index < 0 || index >= n) return std::nullopt;
  const auto i = static_cast<size_t>(index);
  return text.substr(offsets[i], offsets[i + 1] - offsets[i]);
}

// Python's PySlice_AdjustIndices: the positions a slice visits.
std::vector<size_t> slice_positions(int64_t length, std::optional<int64_t> start, std::optional<int64_t> stop,
                                    int64_t step) {
  auto clamp = [&](std::optional<int64_t> bound, int64_t fallback) {
    if (!bound) return fallback;
    int64_t v = *bound;
    if (v < 0) {
      v += length;
      if (v < 0) v = step < 0 ? -1 : 0;
    } else if (v >= length) {
      v = step < 0 ? length - 1 : length;
    }
    return v;
  };
  const int64_t first = clamp(start, step < 0 ? length - 1 : 0);
  const int64_t last = clamp(stop, step < 0 ? -1 : length);
  std::vector<size_t> out;
  for (int64_t i = first; step > 0 ? i < last : i > last; i += step) out.push_back(static_cast<size_t>(i));
  return out;
}

Result<std::optional<int64_t>> slice_bound(const Value& v) {
  if (v.is_none() || v.is_undefined()) return std::optional<int64_t>();
  if (v.is_int() || v.is_bool()) return std::optional<int64_t>(v.as_int());
  return RF_ERROR(kInvalidArgument, "slice indices must be integers or None, not {}", v.type_name());
}

}  // namespace

Value get_attribute(const Value& object, std::string_view name) {
  if (auto method = find_method(object, name)) return *method;
  if (object.is_dict()) {
    const Value* v = object.as_dict().find(name);
    return v != nullptr ? *v : no_attribute(object, name);
  }
  if (object.is_namespace()) {
    const Value* v = object.as_namespace().find(name);
    return v != nullptr ? *v : no_attribute(object, name);
  }
  return no_attribute(object, name);
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_dict()) {
    if (const Value* v = object.as_dict().find(key)) return *v;
  } else if (object.is_list() && (key.is_int() || key.is_bool())) {
    const auto& items = object.items();
    int64_t index = key.as_int();
    if (index < 0) index += static_cast<int64_t>(items.size());
    if (index >= 0 && index < static_cast<int64_t>(items.size())) return items[static_cast<size_t>(index)];
  } else if (object.is_string() && (key.is_int() || key.is_bool())) {
    if (auto c = char_at(object.as_string(), key.as_int())) return Value::string(std::move(*c));
  }
  // The item is missing: a string key may still name an attribute.
  if (key.is_string()) return get_attribute(object, key.as_string());
  return no_element(object, key);
}

Result<Value> get_slice(const Value& object, const Value& start, const Value& stop, const Value& step) {
  const auto first = RF_TRY(slice_bound(start));
  const auto last = RF_TRY(slice_bound(stop));
  const auto stride = RF_TRY(slice_bound(step)).value_or(1);
  if (stride == 0) return RF_ERROR(kInvalidArgument, "slice step cannot be zero");
  if (object.is_list()) {
    const auto& items = object.items();
    std::vector<Value> out;
    for (size_t i : slice_positions(static_cast<int64_t>(items.size()), first, last, stride)) out.push_back(items[i]);
    return object.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
  }
  if (object.is_string()) {
    const std::string& text = object.as_string();
    if (stride == 1 && py_text::is_ascii(text)) {
      const auto positions = slice_positions(static_cast<int64_t>(text.size()), first, last, 1);
      return Value::string(positions.empty() ? std::string() : text.substr(positions.front(), positions.size()));
    }
    const std::vector<size_t> offsets = py_text::char_offsets(text);
    std::string out;
    for (size_t i : slice_positions(static_cast<int64_t>(offsets.size()) - 1, first, last, stride)) {
      out.append(text, offsets[i], offsets[i + 1] - offsets[i]);
    }
    return Value::string(std::move(out));
  }
  return Value::undefined(fmt::format("'{}' object is not subscriptable", object.type_name()));
}

Result<std::vector<Value>> iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return std::vector<Value>{};
    case Value::Kind::kList:
      return value.items();
    case Value::Kind::kDict: {
      std::vector<Value> keys;
      keys.reserve(value.as_dict().entries.size());
      for (const auto& [key, v] : value.as_dict().entries) keys.push_back(key);
      return keys;
    }
    case Value::Kind::kString: {
      const std::string& text = value.as_string();
      std::vector<Value> chars;
      for (size_t pos = 0; pos < text.size();) {
        const size_t start = pos;
        py_text::next_char(text, pos);
        chars.push_back(Value::string(text.substr(start, pos - start)));
      }
      return chars;
    }
    default:
      return RF_ERROR(kInvalidArgument, "'{}' object is not iterable", value.type_name());
  }
}

Value get_attribute_path(const Value& object, std::string_view path) {
  Value current = object;
  while (true) {
    const size_t dot = path.find('.');
    const std::string_view part = path.substr(0, dot);
    int64_t index = 0;
    const auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
    const bool is_index = !part.empty() && ec == std::errc() && end == part.data() + part.size();
    if (current.is_undefined()) return current;
    current = get_item(current, is_index ? Value::integer(index) : Value::string(std::string(part)));
    if (dot == std::string_view::npos) return current;
    path.remove_prefix(dot + 1);
  }
}

}  // namespace rocmforge::chat::jinja
