// The values a template computes with: Python's objects as jinja2 sees them.
//
// undefined (jinja2's default Undefined: prints as "", is false, iterates as
// empty, and fails when used any other way), none, bool, int (64-bit here),
// float, str, list, tuple, dict (insertion-ordered), callables (built-ins and
// macros) and namespaces.
//
// Strings, lists and dicts are immutable and shared: copying a Value is cheap.
// Templates cannot mutate them either (transformers renders in jinja2's
// ImmutableSandboxedEnvironment, where list.append and dict.update fail).
// Only a namespace changes after it is made (`{% set ns.x = 1 %}`); it belongs
// to the render that made it, which frees it when the render ends, so values
// only point to it (cycles through namespaces cannot leak).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

class Value;
class Interpreter;
class Namespace;

// Arguments of a call: positional, then keyword (in call order).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

using NativeFunction = std::function<Result<Value>(Interpreter&, CallArgs)>;

struct Callable {
  std::string name;
  NativeFunction function;
  // Its errors reach the caller unchanged, without the template position
  // (raise_exception: the template's own message is the whole message).
  bool passes_errors = false;
};

struct ListData;
struct DictData;

class Value {
 public:
  enum class Kind : uint8_t { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kCallable, kNamespace };

  Value() = default;  // undefined
  // `hint` says why, for the error when the value is used: "'x' is undefined".
  static Value undefined(std::string hint);
  static Value none();
  static Value boolean(bool b);
  static Value integer(int64_t i);
  static Value number(double d);
  static Value string(std::string s);
  // A string marked safe (jinja2's Markup, from `|safe` or `|escape`): `+`
  // with a plain string HTML-escapes the plain one.
  static Value markup(std::string s);
  static Value list(std::vector<Value> items);
  static Value tuple(std::vector<Value> items);
  static Value dict(std::shared_ptr<const DictData> data);
  static Value callable(Callable callable);
  static Value namespace_ref(Namespace* ns);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  // int, float or bool (bool is an int in Python).
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }  // list or tuple
  bool is_tuple() const;
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_callable() const { return kind() == Kind::kCallable; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }

  // Each accessor requires the matching kind.
  const std::string& undefined_hint() const;
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const;  // int or bool
  double as_float() const;  // any number
  const std::string& as_string() const { return std::get<std::shared_ptr<const StringData>>(data_)->text; }
  bool is_markup() const { return is_string() && std::get<std::shared_ptr<const StringData>>(data_)->markup; }
  const std::vector<Value>& items() const;
  const DictData& as_dict() const { return *std::get<std::shared_ptr<const DictData>>(data_); }
  const Callable& as_callable() const { return *std::get<std::shared_ptr<const Callable>>(data_); }
  Namespace& as_namespace() const { return *std::get<Namespace*>(data_); }

  // Nesting of lists, tuples and dicts (0 for anything else); recursive
  // operations stay within kMaxValueDepth.
  uint32_t depth() const;

  // Python's truth value (undefined is false; a namespace or callable is true).
  bool truthy() const;
  // "str", "int", "list", "dict", "NoneType", ..., for error messages.
  std::string_view type_name() const;

 private:
  struct UndefinedTag {
    std::shared_ptr<const std::string> hint;  // null: no hint
  };
  struct StringData {
    std::string text;
    bool markup = false;
  };
  using Data = std::variant<UndefinedTag, std::nullptr_t, bool, int64_t, double, std::shared_ptr<const StringData>,
                            std::shared_ptr<const ListData>, std::shared_ptr<const DictData>,
                            std::shared_ptr<const Callable>, Namespace*>;
  explicit Value(Data data) : data_(std::move(data)) {}

  Data data_;
};

// Containers may not nest deeper than this (JSON input, template results);
// deeper is an error, never a stack overflow.
inline constexpr uint32_t kMaxValueDepth = 200;

struct ListData {
  std::vector<Value> items;
  bool is_tuple = false;
  uint32_t depth = 1;
};

// A dict key as Python hashes it: equal keys (1, 1.0 and True) map to the
// same text; nullopt for an unhashable value (list, dict, ...).
std::optional<std::string> dict_key(const Value& key);

// Insertion-ordered, as Python's dict.
struct DictData {
  std::vector<std::pair<Value, Value>> entries;
  std::unordered_map<std::string, size_t> index;
  uint32_t depth = 1;

  const Value* find(const Value& key) const;
  const Value* find(std::string_view key) const;
};

// Builds a dict; setting a key again replaces its value in place, as a Python
// dict literal does.
class DictBuilder {
 public:
  DictBuilder() : data_(std::make_shared<DictData>()) {}
  // kInvalidArgument for an unhashable key.
  Status set(Value key, Value value);
  void set(std::string_view key, Value value);
  Value build() &&;

 private:
  std::shared_ptr<DictData> data_;
};

// jinja2's namespace(): attributes that `{% set ns.x = ... %}` changes.
class Namespace {
 public:
  const Value* find(std::string_view name) const;
  void set(std::string_view name, Value value);
  const std::vector<std::pair<std::string, Value>>& attributes() const { return attributes_; }

 private:
  std::vector<std::pair<std::string, Value>> attributes_;
};

// Python's == (numbers by value across int/float/bool, containers deeply,
// undefined equal only to undefined, namespaces and callables by identity).
bool equals(const Value& a, const Value& b);

}  // namespace rocmforge::chat::jinja
