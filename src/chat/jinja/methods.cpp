// Methods of str, list and dict values (`content.split('</think>')`,
// `message.get('name')`, `tool.items()`), bound to their object.
#include <algorithm>
#include <charconv>
#include <span>

#include <fmt/format.h>

#include "chat/jinja/access.h"
#include "chat/jinja/builtins.h"
#include "chat/jinja/call_args.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

using Method = Result<Value> (*)(Interpreter&, const Value& self, CallArgs args);

struct MethodEntry {
  std::string_view name;
  Method method;  // null: it would mutate the object, which the sandbox forbids
};

std::vector<Value> strings(std::vector<std::string> parts) {
  std::vector<Value> out;
  out.reserve(parts.size());
  for (std::string& p : parts) out.push_back(Value::string(std::move(p)));
  return out;
}

Result<Value> text(Interpreter& interp, std::string s) {
  RF_TRY(interp.charge_bytes(s.size()));
  return Value::string(std::move(s));
}

template <py_text::StripSide Side>
Result<Value> str_strip(Interpreter& interp, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("strip", std::move(args), {{"chars", Value::none()}}));
  const auto chars = RF_TRY(optional_string_arg("strip", "chars", a[0]));
  return text(interp, py_text::strip(self.as_string(), chars, Side));
}

template <bool FromRight>
Result<Value> str_split(Interpreter& interp, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("split", std::move(args), {{"sep", Value::none()}, {"maxsplit", Value::integer(-1)}}));
  const auto sep = RF_TRY(optional_string_arg("split", "sep", a[0]));
  if (sep && sep->empty()) return RF_ERROR(kInvalidArgument, "empty separator");
  const int64_t maxsplit = RF_TRY(int_arg("split", "maxsplit", a[1]));
  RF_TRY(interp.charge_bytes(self.as_string().size()));
  const std::string& s = self.as_string();
  return Value::list(strings(FromRight ? py_text::rsplit(s, sep, maxsplit) : py_text::split(s, sep, maxsplit)));
}

Result<Value> str_splitlines(Interpreter& interp, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("splitlines", std::move(args), {{"keepends", Value::boolean(false)}}));
  if (a[0].truthy()) return RF_ERROR(kUnsupported, "splitlines(keepends=True) is not supported");
  RF_TRY(interp.charge_bytes(self.as_string().size()));
  std::vector<std::string> lines;
  const std::string& s = self.as_string();
  size_t start = 0;
  for (size_t pos = 0; pos < s.size();) {
    const size_t at = pos;
    const char32_t c = py_text::next_char(s, pos);
    if (c != '\n' && c != '\r' && c != '\v' && c != '\f' && !(c >= 0x1C && c <= 0x1E) && c != 0x85 && c != 0x2028 &&
        c != 0x2029) {
      continue;
    }
    lines.push_back(s.substr(start, at - start));
    if (c == '\r' && pos < s.size() && s[pos] == '\n') ++pos;
    start = pos;
  }
  if (start < s.size()) lines.push_back(s.substr(start));
  return Value::list(strings(std::move(lines)));
}

// startswith/endswith take one prefix or a tuple of them.
template <bool AtEnd>
Result<Value> str_affix(Interpreter&, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args(AtEnd ? "endswith" : "startswith", std::move(args), {{"affix", {}}}));
  const std::string_view s = self.as_string();
  auto matches = [&](const Value& v) -> Result<bool> {
    const std::string affix = RF_TRY(string_arg(AtEnd ? "endswith" : "startswith", "affix", v));
    return AtEnd ? s.ends_with(affix) : s.starts_with(affix);
  };
  if (a[0].is_tuple()) {
    for (const Value& v : a[0].items()) {
      if (RF_TRY(matches(v))) return Value::boolean(true);
    }
    return Value::boolean(false);
  }
  return Value::boolean(RF_TRY(matches(a[0])));
}

template <std::string (*Map)(std::string_view)>
Result<Value> str_map(Interpreter& interp, const Value& self, CallArgs args) {
  RF_TRY(bind_args("str method", std::move(args), {}));
  return text(interp, Map(self.as_string()));
}

template <py_text::CharClass Class>
Result<Value> str_is(Interpreter&, const Value& self, CallArgs args) {
  RF_TRY(bind_args("str method", std::move(args), {}));
  return Value::boolean(py_text::is_class(self.as_string(), Class));
}

Result<Value> str_replace(Interpreter& interp, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("replace", std::move(args), {{"old", {}}, {"new", {}}, {"count", Value::integer(-1)}}));
  const std::string from = RF_TRY(string_arg("replace", "old", a[0]));
  const std::string to = RF_TRY(string_arg("replace", "new", a[1]));
  const int64_t count = RF_TRY(int_arg("replace", "count", a[2]));
  auto out = py_text::replace(self.as_string(), from, to, count, interp.limits().max_output_bytes);
  if (!out) return RF_ERROR(kCapacity, "replace() result exceeds {} bytes", interp.limits().max_output_bytes);
  return text(interp, std::move(*out));
}

template <bool FromRight>
Result<Value> str_find(Interpreter&, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("find", std::move(args), {{"sub", {}}}));
  const std::string needle = RF_TRY(string_arg("find", "sub", a[0]));
  return Value::integer(FromRight ? py_text::rfind(self.as_string(), needle) : py_text::find(self.as_string(), needle));
}

Result<Value> str_count(Interpreter&, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("count", std::move(args), {{"sub", {}}}));
  return Value::integer(py_text::count(self.as_string(), RF_TRY(string_arg("count", "sub", a[0]))));
}

Result<Value> str_join(Interpreter& interp, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("join", std::move(args), {{"iterable", {}}}));
  const std::vector<Value> items = RF_TRY(iterate(a[0]));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return RF_ERROR(kInvalidArgument, "sequence item {}: expected str instance, {} found", i, items[i].type_name());
    }
    if (i > 0) out += self.as_string();
    out += items[i].as_string();
    if (out.size() > interp.limits().max_output_bytes) return RF_ERROR(kCapacity, "join() result is too large");
  }
  return text(interp, std::move(out));
}

// str.format(): {} {0} {name} and {{ }}; no format specs.
Result<Value> str_format(Interpreter& interp, const Value& self, CallArgs args) {
  const std::string& f = self.as_string();
  std::string out;
  size_t next_auto = 0;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '}' && i + 1 < f.size() && f[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (f[i] != '{') {
      out += f[i];
    } else if (i + 1 < f.size() && f[i + 1] == '{') {
      out += '{';
      ++i;
    } else {
      const size_t close = f.find('}', i);
      if (close == std::string::npos) return RF_ERROR(kInvalidArgument, "Single '{{' encountered in format string");
      const std::string field = f.substr(i + 1, close - i - 1);
      if (field.find_first_of(":!.[") != std::string::npos) {
        return RF_ERROR(kUnsupported, "format field '{{{}}}' is not supported", field);
      }
      const Value* v = nullptr;
      size_t index = 0;
      const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), index);
      if (field.empty() || (ec == std::errc() && end == field.data() + field.size())) {
        if (field.empty()) index = next_auto++;
        if (index < args.positional.size()) v = &args.positional[index];
      } else {
        for (const auto& [name, value] : args.keyword) {
          if (name == field) v = &value;
        }
      }
      if (v == nullptr) return RF_ERROR(kInvalidArgument, "format() has no argument for '{{{}}}'", field);
      out += to_str(*v);
      i = close;
    }
  }
  return text(interp, std::move(out));
}

Result<Value> list_index(Interpreter&, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("index", std::move(args), {{"value", {}}}));
  const auto& items = self.items();
  const auto it = std::find_if(items.begin(), items.end(), [&](const Value& v) { return equals(v, a[0]); });
  if (it == items.end()) return RF_ERROR(kInvalidArgument, "{} is not in list", to_repr(a[0]));
  return Value::integer(it - items.begin());
}

Result<Value> list_count(Interpreter&, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("count", std::move(args), {{"value", {}}}));
  return Value::integer(std::count_if(self.items().begin(), self.items().end(),
                                      [&](const Value& v) { return equals(v, a[0]); }));
}

Result<Value> dict_items(Interpreter&, const Value& self, CallArgs args) {
  RF_TRY(bind_args("items", std::move(args), {}));
  std::vector<Value> out;
  for (const auto& [key, value] : self.as_dict().entries) out.push_back(Value::tuple({key, value}));
  return Value::list(std::move(out));
}

template <bool Keys>
Result<Value> dict_keys_or_values(Interpreter&, const Value& self, CallArgs args) {
  RF_TRY(bind_args(Keys ? "keys" : "values", std::move(args), {}));
  std::vector<Value> out;
  for (const auto& [key, value] : self.as_dict().entries) out.push_back(Keys ? key : value);
  return Value::list(std::move(out));
}

Result<Value> dict_get(Interpreter&, const Value& self, CallArgs args) {
  const auto a = RF_TRY(bind_args("get", std::move(args), {{"key", {}}, {"default", Value::none()}}));
  if (const Value* v = self.as_dict().find(a[0])) return *v;
  return a[1];
}

Result<Value> dict_copy(Interpreter&, const Value& self, CallArgs args) {
  RF_TRY(bind_args("copy", std::move(args), {}));
  return self;  // dicts are immutable here: a copy is the same dict
}

const MethodEntry kStringMethods[] = {
    {"strip", str_strip<py_text::StripSide::kBoth>},
    {"lstrip", str_strip<py_text::StripSide::kLeft>},
    {"rstrip", str_strip<py_text::StripSide::kRight>},
    {"split", str_split<false>},
    {"rsplit", str_split<true>},
    {"splitlines", str_splitlines},
    {"startswith", str_affix<false>},
    {"endswith", str_affix<true>},
    {"upper", str_map<py_text::upper>},
    {"lower", str_map<py_text::lower>},
    {"title", str_map<py_text::title>},
    {"capitalize", str_map<py_text::capitalize>},
    {"replace", str_replace},
    {"find", str_find<false>},
    {"rfind", str_find<true>},
    {"count", str_count},
    {"join", str_join},
    {"format", str_format},
    {"isdigit", str_is<py_text::CharClass::kDigit>},
    {"isalpha", str_is<py_text::CharClass::kAlpha>},
    {"isalnum", str_is<py_text::CharClass::kAlnum>},
    {"isspace", str_is<py_text::CharClass::kSpace>},
    {"islower", str_is<py_text::CharClass::kLower>},
    {"isupper", str_is<py_text::CharClass::kUpper>},
};

const MethodEntry kListMethods[] = {
    {"index", list_index}, {"count", list_count}, {"append", nullptr}, {"extend", nullptr},
    {"insert", nullptr},   {"pop", nullptr},      {"remove", nullptr}, {"reverse", nullptr},
    {"sort", nullptr},     {"clear", nullptr},
};

const MethodEntry kDictMethods[] = {
    {"items", dict_items}, {"keys", dict_keys_or_values<true>}, {"values", dict_keys_or_values<false>},
    {"get", dict_get},     {"copy", dict_copy},                 {"pop", nullptr},
    {"popitem", nullptr},  {"setdefault", nullptr},             {"update", nullptr},
    {"clear", nullptr},
};

}  // namespace

std::optional<Value> find_method(const Value& object, std::string_view name) {
  std::span<const MethodEntry> table;
  if (object.is_string()) {
    table = kStringMethods;
  } else if (object.is_list()) {
    table = kListMethods;
  } else if (object.is_dict()) {
    table = kDictMethods;
  } else {
    return std::nullopt;
  }
  const auto it = std::find_if(table.begin(), table.end(), [&](const MethodEntry& m) { return m.name == name; });
  if (it == table.end()) return std::nullopt;
  const std::string qualified = fmt::format("{}.{}", object.type_name(), name);
  if (it->method == nullptr) {
    return Value::callable({qualified, [qualified](Interpreter&, CallArgs) -> Result<Value> {
                              return RF_ERROR(kInvalidArgument, "access to '{}' is unsafe: templates cannot modify "
                                              "their data", qualified);
                            }});
  }
  return Value::callable({qualified, [object, method = it->method](Interpreter& interp, CallArgs args) {
                            return method(interp, object, std::move(args));
                          }});
}

}  // namespace rocmforge::chat::jinja
