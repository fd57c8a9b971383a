#include "server/field_reader.h"

#include <cmath>

#include <fmt/format.h>

namespace rocmforge::server {

std::string_view json_kind(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned: return "an integer";
    case Json::value_t::number_float: return "a number";
    case Json::value_t::string: return "a string";
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    case Json::value_t::binary:
    case Json::value_t::discarded: break;
  }
  return "a value";
}

const Json* find_member(const Json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* FieldReader::find(std::string_view key) const { return find_member(object_, key); }

Error FieldReader::fail(ErrorCode code, std::string_view param, std::string message,
                        std::optional<std::string> api_code) {
  failed_param_ = std::string(param);
  failed_code_ = std::move(api_code);
  return Error(code, std::move(message));
}

Error FieldReader::type_error(std::string_view param, std::string_view expected, const Json& got) {
  return invalid(param, fmt::format("invalid type for '{}': expected {}, but got {}", param, expected, json_kind(got)));
}

Result<std::optional<double>> FieldReader::number(std::string_view key, double min, double max) {
  const Json* v = find(key);
  if (!v) return std::optional<double>();
  if (!v->is_number()) return type_error(key, "a number", *v);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < min || x > max) {
    return invalid(key, fmt::format("'{}' must be between {} and {}, got {}", key, min, max, x));
  }
  return std::optional<double>(x);
}

Result<std::optional<int64_t>> FieldReader::integer(std::string_view key, int64_t min, int64_t max) {
  const Json* v = find(key);
  if (!v) return std::optional<int64_t>();
  int64_t x = 0;
  if (v->is_number_unsigned()) {
    const uint64_t u = v->get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) {
      return invalid(key, fmt::format("'{}' must be between {} and {}, got {}", key, min, max, u));
    }
    x = static_cast<int64_t>(u);
  } else if (v->is_number_integer()) {
    x = v->get<int64_t>();
  } else if (v->is_number_float()) {
    const double d = v->get<double>();
    // Beyond 2^53 a double is always integral; bound it before converting.
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return type_error(key, "an integer", *v);
    x = static_cast<int64_t>(d);
  } else {
    return type_error(key, "an integer", *v);
  }
  if (x < min || x > max) return invalid(key, fmt::format("'{}' must be between {} and {}, got {}", key, min, max, x));
  return std::optional<int64_t>(x);
}

Result<std::optional<bool>> FieldReader::boolean(std::string_view key) {
  const Json* v = find(key);
  if (!v) return std::optional<bool>();
  if (!v->is_boolean()) return type_error(key, "a boolean", *v);
  return std::optional<bool>(v->get<bool>());
}

Result<std::optional<std::string>> FieldReader::string(std::string_view key) {
  const Json* v = find(key);
  if (!v) return std::optional<std::string>();
  if (!v->is_string()) return type_error(key, "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

}  // namespace rocmforge::server
