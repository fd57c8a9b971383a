#include "chat/jinja/value.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace rocmforge::chat::jinja {
namespace {

std::shared_ptr<const ListData> make_list_data(std::vector<Value> items, bool tuple) {
  auto data = std::make_shared<ListData>();
  uint32_t depth = 0;
  for (const Value& v : items) depth = std::max(depth, v.depth());
  data->depth = depth + 1;
  data->items = std::move(items);
  data->is_tuple = tuple;
  return data;
}

const std::string kNoHint;

bool dicts_equal(const DictData& a, const DictData& b) {
  if (a.entries.size() != b.entries.size()) return false;
  for (const auto& [key, value] : a.entries) {
    const Value* other = b.find(key);
    if (other == nullptr || !equals(value, *other)) return false;
  }
  return true;
}

}  // namespace

Value Value::undefined(std::string hint) {
  return Value(UndefinedTag{hint.empty() ? nullptr : std::make_shared<const std::string>(std::move(hint))});
}
Value Value::none() { return Value(Data(std::in_place_type<std::nullptr_t>, nullptr)); }
Value Value::boolean(bool b) { return Value(Data(std::in_place_type<bool>, b)); }
Value Value::integer(int64_t i) { return Value(Data(std::in_place_type<int64_t>, i)); }
Value Value::number(double d) { return Value(Data(std::in_place_type<double>, d)); }
Value Value::string(std::string s) { return Value(std::make_shared<const StringData>(StringData{std::move(s), false})); }
Value Value::markup(std::string s) { return Value(std::make_shared<const StringData>(StringData{std::move(s), true})); }
Value Value::list(std::vector<Value> items) { return Value(make_list_data(std::move(items), false)); }
Value Value::tuple(std::vector<Value> items) { return Value(make_list_data(std::move(items), true)); }
Value Value::dict(std::shared_ptr<const DictData> data) { return Value(std::move(data)); }
Value Value::callable(Callable callable) { return Value(std::make_shared<const Callable>(std::move(callable))); }
Value Value::namespace_ref(Namespace* ns) { return Value(Data(std::in_place_type<Namespace*>, ns)); }

const std::string& Value::undefined_hint() const {
  const auto& hint = std::get<UndefinedTag>(data_).hint;
  return hint ? *hint : kNoHint;
}

bool Value::is_tuple() const { return is_list() && std::get<std::shared_ptr<const ListData>>(data_)->is_tuple; }

int64_t Value::as_int() const { return is_bool() ? (as_bool() ? 1 : 0) : std::get<int64_t>(data_); }

double Value::as_float() const { return is_float() ? std::get<double>(data_) : static_cast<double>(as_int()); }

const std::vector<Value>& Value::items() const { return std::get<std::shared_ptr<const ListData>>(data_)->items; }

uint32_t Value::depth() const {
  if (is_list()) return std::get<std::shared_ptr<const ListData>>(data_)->depth;
  if (is_dict()) return as_dict().depth;
  return 0;
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0;
    case Kind::kString:
      return !as_string().empty();
    case Kind::kList:
      return !items().empty();
    case Kind::kDict:
      return !as_dict().entries.empty();
    case Kind::kCallable:
    case Kind::kNamespace:
      return true;
  }
  return false;
}

std::string_view Value::type_name() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "Undefined";
    case Kind::kNone:
      return "NoneType";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "str";
    case Kind::kList:
      return is_tuple() ? "tuple" : "list";
    case Kind::kDict:
      return "dict";
    case Kind::kCallable:
      return "function";
    case Kind::kNamespace:
      return "Namespace";
  }
  return "object";
}

std::optional<std::string> dict_key(const Value& key) {
  switch (key.kind()) {
    case Value::Kind::kString:
      return std::string("s").append(key.as_string());
    case Value::Kind::kBool:
    case Value::Kind::kInt:
      return fmt::format("n{}", key.as_int());
    case Value::Kind::kFloat: {
      // An integral float hashes as the int it equals (1.0 == 1 in Python).
      const double d = key.as_float();
      if (std::trunc(d) == d && std::fabs(d) < 9.2e18) return fmt::format("n{}", static_cast<int64_t>(d));
      return fmt::format("f{}", d);
    }
    case Value::Kind::kNone:
      return "z";
    case Value::Kind::kUndefined:
      return "u";
    case Value::Kind::kList: {
      if (!key.is_tuple()) return std::nullopt;
      std::string text = "t";
      for (const Value& item : key.items()) {
        const auto part = dict_key(item);
        if (!part) return std::nullopt;
        text += fmt::format("{}:{}", part->size(), *part);
      }
      return text;
    }
    case Value::Kind::kDict:
      return std::nullopt;
    case Value::Kind::kCallable:
      return fmt::format("c{}", static_cast<const void*>(&key.as_callable()));
    case Value::Kind::kNamespace:
      return fmt::format("p{}", static_cast<const void*>(&key.as_namespace()));
  }
  return std::nullopt;
}

const Value* DictData::find(const Value& key) const {
  const auto text = dict_key(key);
  if (!text) return nullptr;
  const auto it = index.find(*text);
  return it == index.end() ? nullptr : &entries[it->second].second;
}

const Value* DictData::find(std::string_view key) const {
  std::string text = "s";
  text += key;
  const auto it = index.find(text);
  return it == index.end() ? nullptr : &entries[it->second].second;
}

Status DictBuilder::set(Value key, Value value) {
  auto text = dict_key(key);
  if (!text) return RF_ERROR(kInvalidArgument, "unhashable type: '{}'", key.type_name());
  data_->depth = std::max(data_->depth, value.depth() + 1);
  const auto [it, inserted] = data_->index.emplace(std::move(*text), data_->entries.size());
  if (inserted) {
    data_->entries.emplace_back(std::move(key), std::move(value));
  } else {
    data_->entries[it->second].second = std::move(value);
  }
  return ok();
}

void DictBuilder::set(std::string_view key, Value value) {
  // A string key is always hashable.
  (void)set(Value::string(std::string(key)), std::move(value));
}

Value DictBuilder::build() && { return Value::dict(std::move(data_)); }

const Value* Namespace::find(std::string_view name) const {
  for (const auto& [key, value] : attributes_) {
    if (key == name) return &value;
  }
  return nullptr;
}

void Namespace::set(std::string_view name, Value value) {
  for (auto& [key, existing] : attributes_) {
    if (key == name) {
      existing = std::move(value);
      return;
    }
  }
  attributes_.emplace_back(std::string(name), std::move(value));
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kList:
      return a.is_tuple() == b.is_tuple() && std::equal(a.items().begin(), a.items().end(), b.items().begin(),
                                                        b.items().end(), equals);
    case Value::Kind::kDict:
      return dicts_equal(a.as_dict(), b.as_dict());
    case Value::Kind::kCallable:
      return &a.as_callable() == &b.as_callable();
    case Value::Kind::kNamespace:
      return &a.as_namespace() == &b.as_namespace();
    default:
      return false;
  }
}

}  // namespace rocmforge::chat::jinja
