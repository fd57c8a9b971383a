// Name lookup for filters and tests, and the global functions.
#include "chat/jinja/builtins.h"

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>

#include "chat/jinja/builtin_groups.h"
#include "chat/jinja/call_args.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

// jinja2's filters that this interpreter leaves out: none of the chat
// templates we know use them.
constexpr FilterEntry kUnsupportedFilters[] = {
    {"filesizeformat"}, {"groupby"}, {"pprint"},   {"random"},   {"striptags"},
    {"urlencode"},      {"urlize"},  {"wordwrap"}, {"xmlattr"},
};

// The sandbox's limit on range() (jinja2's MAX_RANGE).
constexpr int64_t kMaxRange = 100000;

Result<Value> range(Interpreter& interp, CallArgs args) {
  if (!args.keyword.empty()) return RF_ERROR(kInvalidArgument, "range() takes no keyword arguments");
  const auto& p = args.positional;
  if (p.empty() || p.size() > 3) return RF_ERROR(kInvalidArgument, "range expected 1 to 3 arguments, got {}", p.size());
  int64_t bounds[3] = {0, 0, 1};
  for (size_t i = 0; i < p.size(); ++i) {
    bounds[p.size() == 1 ? 1 : i] = RF_TRY(int_arg("range", "argument", p[i]));
  }
  const int64_t start = bounds[0];
  const int64_t stop = bounds[1];
  const int64_t step = bounds[2];
  if (step == 0) return RF_ERROR(kInvalidArgument, "range() arg 3 must not be zero");
  // Count without overflow: the distance as unsigned.
  const auto distance = step > 0 ? (stop > start ? static_cast<uint64_t>(stop) - static_cast<uint64_t>(start) : 0)
                                 : (start > stop ? static_cast<uint64_t>(start) - static_cast<uint64_t>(stop) : 0);
  const uint64_t magnitude = step > 0 ? static_cast<uint64_t>(step) : 0 - static_cast<uint64_t>(step);
  const uint64_t count = distance == 0 ? 0 : (distance - 1) / magnitude + 1;
  if (count > kMaxRange) {
    return RF_ERROR(kCapacity, "Range too big. The sandbox blocks ranges larger than MAX_RANGE ({}).", kMaxRange);
  }
  RF_TRY(interp.charge(count));
  std::vector<Value> items;
  items.reserve(count);
  for (uint64_t i = 0; i < count; ++i) items.push_back(Value::integer(start + static_cast<int64_t>(i) * step));
  return Value::list(std::move(items));
}

// dict(mapping or pairs, **kwargs).
Result<Value> dict(Interpreter&, CallArgs args) {
  if (args.positional.size() > 1) return RF_ERROR(kInvalidArgument, "dict expected at most 1 argument");
  DictBuilder out;
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      for (const auto& [key, value] : source.as_dict().entries) RF_TRY(out.set(key, value));
    } else if (source.is_list()) {
      for (const Value& pair : source.items()) {
        if (!pair.is_list() || pair.items().size() != 2) {
          return RF_ERROR(kInvalidArgument, "dictionary update sequence element has the wrong length");
        }
        RF_TRY(out.set(pair.items()[0], pair.items()[1]));
      }
    } else if (!source.is_undefined()) {
      return RF_ERROR(kInvalidArgument, "'{}' object is not iterable", source.type_name());
    }
  }
  for (auto& [key, value] : args.keyword) out.set(key, std::move(value));
  return std::move(out).build();
}

// namespace(mapping, **kwargs): its attributes start as the arguments.
Result<Value> make_namespace(Interpreter& interp, CallArgs args) {
  const Value initial = RF_TRY(dict(interp, std::move(args)));
  Namespace* ns = interp.make_namespace();
  for (const auto& [key, value] : initial.as_dict().entries) {
    if (!key.is_string()) return RF_ERROR(kInvalidArgument, "namespace attribute names must be strings");
    ns->set(key.as_string(), value);
  }
  return Value::namespace_ref(ns);
}

// joiner(sep): a function that returns "" the first time, then sep.
Result<Value> joiner(Interpreter&, CallArgs args) {
  const auto a = RF_TRY(bind_args("joiner", std::move(args), {{"sep", Value::string(", ")}}));
  auto used = std::make_shared<bool>(false);
  const Value separator = a[0];
  return Value::callable({"joiner", [used, separator](Interpreter&, CallArgs) -> Result<Value> {
                            if (!*used) {
                              *used = true;
                              return Value::string("");
                            }
                            return separator;
                          }});
}

Result<Value> raise_exception(Interpreter&, CallArgs args) {
  const auto a = RF_TRY(bind_args("raise_exception", std::move(args), {{"message", Value::string("")}}));
  return RF_ERROR(kInvalidArgument, "{}", to_str(a[0]));
}

Result<Value> strftime_now(Interpreter& interp, CallArgs args) {
  const auto a = RF_TRY(bind_args("strftime_now", std::move(args), {{"format", {}}}));
  const std::string format = RF_TRY(string_arg("strftime_now", "format", a[0]));
  if (format.empty()) return Value::string("");
  const std::tm now = interp.now();
  std::string out(64 + format.size() * 4, '\0');
  const size_t n = std::strftime(out.data(), out.size(), format.c_str(), &now);
  if (n == 0) return RF_ERROR(kInvalidArgument, "strftime_now: the format gives no text or too much");
  out.resize(n);
  return Value::string(std::move(out));
}

Result<Value> unsupported_global(std::string_view name) {
  return RF_ERROR(kUnsupported, "{}() is not supported", name);
}

}  // namespace

const FilterEntry* find_filter(std::string_view name) {
  for (auto group : {text_filters(), sequence_filters(), value_filters(), std::span<const FilterEntry>(kUnsupportedFilters)}) {
    const auto it = std::find_if(group.begin(), group.end(), [&](const FilterEntry& f) { return f.name == name; });
    if (it != group.end()) return &*it;
  }
  return nullptr;
}

const TestEntry* find_test(std::string_view name) {
  const auto tests = builtin_tests();
  const auto it = std::find_if(tests.begin(), tests.end(), [&](const TestEntry& t) { return t.name == name; });
  return it == tests.end() ? nullptr : &*it;
}

std::optional<Value> find_global(std::string_view name) {
  if (name == "range") return Value::callable({"range", range});
  if (name == "dict") return Value::callable({"dict", dict});
  if (name == "namespace") return Value::callable({"namespace", make_namespace});
  if (name == "joiner") return Value::callable({"joiner", joiner});
  if (name == "raise_exception") return Value::callable({"raise_exception", raise_exception, true});
  if (name == "strftime_now") return Value::callable({"strftime_now", strftime_now});
  if (name == "cycler" || name == "lipsum") {
    return Value::callable({std::string(name), [n = std::string(name)](Interpreter&, CallArgs) {
                              return unsupported_global(n);
                            }});
  }
  return std::nullopt;
}

}  // namespace rocmforge::chat::jinja
