// Filters on single values: default, int, float, abs, round, attr, format.
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

#include "chat/jinja/access.h"
#include "chat/jinja/builtin_groups.h"
#include "chat/jinja/builtins.h"
#include "chat/jinja/call_args.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

bool is_digit_in_base(char c, int base) {
  int d = -1;
  if (c >= '0' && c <= '9') d = c - '0';
  if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
  return d >= 0 && d < base;
}

// Python's digit strings: single underscores between digits.
std::optional<std::string> without_separators(std::string_view digits, int base) {
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (digits[i] == '_' && i > 0 && i + 1 < digits.size() && digits[i - 1] != '_') continue;
    if (!is_digit_in_base(digits[i], base)) return std::nullopt;
    out += digits[i];
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// int(text, base) for base 2..36 (with the base's 0x/0o/0b prefix allowed);
// nullopt when Python would raise, or when the value needs more than 64 bits.
std::optional<int64_t> parse_int(std::string_view raw, int base) {
  const std::string text = py_text::strip(raw, std::nullopt, py_text::StripSide::kBoth);
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    if ((p == 'x' && base == 16) || (p == 'o' && base == 8) || (p == 'b' && base == 2)) {
      s.remove_prefix(2);
      if (!s.empty() && s[0] == '_') s.remove_prefix(1);
    }
  }
  const auto digits = without_separators(s, base);
  if (!digits) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(digits->c_str(), &end, base);
  if (errno == ERANGE || v > static_cast<unsigned long long>(INT64_MAX)) return std::nullopt;
  return negative ? -static_cast<int64_t>(v) : static_cast<int64_t>(v);
}

// float(text): decimal notation, "inf", "infinity", "nan", any case.
std::optional<double> parse_float(std::string_view raw) {
  std::string text = py_text::lower(py_text::strip(raw, std::nullopt, py_text::StripSide::kBoth));
  std::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  if (s == "inf" || s == "infinity") return negative ? -INFINITY : INFINITY;
  if (s == "nan") return NAN;
  std::string clean;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '_') {
      const bool between = i > 0 && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i - 1])) &&
                           std::isdigit(static_cast<unsigned char>(s[i + 1]));
      if (!between) return std::nullopt;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c)) && c != '.' && c != 'e' && c != '+' && c != '-') {
      return std::nullopt;
    }
    clean += c;
  }
  if (clean.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(clean.c_str(), &end);
  if (end != clean.c_str() + clean.size()) return std::nullopt;
  return negative ? -v : v;
}

// int(float) as Python does it; nullopt for inf and nan.
std::optional<int64_t> truncate_float(double d) {
  if (!std::isfinite(d) || std::fabs(d) >= 9.2e18) return std::nullopt;
  return static_cast<int64_t>(d);
}

Result<Value> to_int(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("int", std::move(args), {{"default", Value::integer(0)}, {"base", Value::integer(10)}}));
  const int64_t base = RF_TRY(int_arg("int", "base", a[1]));
  if (base < 2 || base > 36) return RF_ERROR(kInvalidArgument, "int() base must be >= 2 and <= 36");
  if (input.is_int() || input.is_bool()) return Value::integer(input.as_int());
  if (input.is_float()) {
    if (auto v = truncate_float(input.as_float())) return Value::integer(*v);
    return a[0];
  }
  if (input.is_string()) {
    if (auto v = parse_int(input.as_string(), static_cast<int>(base))) return Value::integer(*v);
    // jinja2's fallback, so that "42.23"|int is 42.
    if (auto f = parse_float(input.as_string())) {
      if (auto v = truncate_float(*f)) return Value::integer(*v);
    }
  }
  return a[0];
}

Result<Value> to_float(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("float", std::move(args), {{"default", Value::number(0.0)}}));
  if (input.is_number()) return Value::number(input.as_float());
  if (input.is_string()) {
    if (auto v = parse_float(input.as_string())) return Value::number(*v);
  }
  return a[0];
}

Result<Value> absolute(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("abs", std::move(args), {}));
  if (input.is_float()) return Value::number(std::fabs(input.as_float()));
  if (input.is_int() || input.is_bool()) {
    if (input.as_int() == INT64_MIN) return RF_ERROR(kInvalidArgument, "integer result does not fit in 64 bits");
    return Value::integer(std::llabs(input.as_int()));
  }
  return RF_ERROR(kInvalidArgument, "bad operand type for abs(): '{}'", input.type_name());
}

// Python's round(x, n): half to even on the exact binary value, which is
// what printf's correctly rounded conversion does too.
double round_half_even(double x, int64_t precision) {
  if (!std::isfinite(x)) return x;
  if (precision >= 0) {
    const std::string text = fmt::format("{:.{}f}", x, std::min<int64_t>(precision, 340));
    return std::strtod(text.c_str(), nullptr);
  }
  const double scale = std::pow(10.0, static_cast<double>(-precision));
  return std::nearbyint(x / scale) * scale;
}

Result<Value> round(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("round", std::move(args), {{"precision", Value::integer(0)},
                                                             {"method", Value::string("common")}}));
  const int64_t precision = RF_TRY(int_arg("round", "precision", a[0]));
  const std::string method = to_str(a[1]);
  if (method != "common" && method != "ceil" && method != "floor") {
    return RF_ERROR(kInvalidArgument, "method must be common, ceil or floor");
  }
  if (!input.is_number()) return RF_ERROR(kInvalidArgument, "type {} doesn't define __round__", input.type_name());
  if (method == "common") {
    // round() of an int is the int itself (for precision >= 0).
    if (!input.is_float() && precision >= 0) return Value::integer(input.as_int());
    return Value::number(round_half_even(input.as_float(), precision));
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = input.as_float() * scale;
  return Value::number((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

Result<Value> default_value(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("default", std::move(args), {{"default_value", Value::string("")},
                                                               {"boolean", Value::boolean(false)}}));
  if (input.is_undefined() || (a[1].truthy() && !input.truthy())) return a[0];
  return input;
}

// attr(name): the attribute only, never the item (d|attr('role') is
// undefined even when d['role'] exists).
Result<Value> attr(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("attr", std::move(args), {{"name", {}}}));
  const std::string name = to_str(a[0]);
  if (auto method = find_method(input, name)) return *method;
  if (input.is_namespace()) return get_attribute(input, name);
  return Value::undefined(fmt::format("'{} object' has no attribute '{}'", input.type_name(), name));
}

Result<Value> format(Interpreter& interp, const Value& input, CallArgs args) {
  if (!args.keyword.empty()) return RF_ERROR(kUnsupported, "format() with keyword arguments is not supported");
  std::string out = RF_TRY(percent_format(to_str(input), args.positional));
  RF_TRY(interp.charge_bytes(out.size()));
  return Value::string(std::move(out));
}

const FilterEntry kFilters[] = {
    {"default", default_value}, {"d", default_value}, {"int", to_int}, {"float", to_float},
    {"abs", absolute},          {"round", round},     {"attr", attr}, {"format", format},
};

}  // namespace

std::span<const FilterEntry> value_filters() { return kFilters; }

}  // namespace rocmforge::chat::jinja
