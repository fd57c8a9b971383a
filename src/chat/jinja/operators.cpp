#include "chat/jinja/operators.h"

#include <cmath>

#include <fmt/format.h>

#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

std::string_view op_text(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSubtract:
      return "-";
    case BinaryOp::kMultiply:
      return "*";
    case BinaryOp::kDivide:
      return "/";
    case BinaryOp::kFloorDivide:
      return "//";
    case BinaryOp::kModulo:
      return "%";
    case BinaryOp::kPower:
      return "** or pow()";
  }
  return "?";
}

Error unsupported(BinaryOp op, const Value& a, const Value& b) {
  return RF_ERROR(kInvalidArgument, "unsupported operand type(s) for {}: '{}' and '{}'", op_text(op), a.type_name(),
                  b.type_name());
}

Error overflow() { return RF_ERROR(kInvalidArgument, "integer result does not fit in 64 bits"); }

// Lists are bounded by the memory their items take.
size_t max_items(size_t max_bytes) { return max_bytes / sizeof(Value); }

Error too_large(size_t max_bytes) {
  return RF_ERROR(kCapacity, "a string or list built by the template would exceed {} bytes", max_bytes);
}

Result<Value> add(const Value& a, const Value& b, size_t max_bytes) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return Value::number(a.as_float() + b.as_float());
    int64_t sum = 0;
    if (__builtin_add_overflow(a.as_int(), b.as_int(), &sum)) return overflow();
    return Value::integer(sum);
  }
  if (a.is_string() && b.is_string()) {
    if (a.as_string().size() + b.as_string().size() > max_bytes) return too_large(max_bytes);
    if (!a.is_markup() && !b.is_markup()) return Value::string(a.as_string() + b.as_string());
    // Markup + str escapes the plain side (markupsafe), as transformers renders it.
    const std::string left = a.is_markup() ? a.as_string() : html_escape(a.as_string());
    const std::string right = b.is_markup() ? b.as_string() : html_escape(b.as_string());
    if (left.size() + right.size() > max_bytes) return too_large(max_bytes);
    return Value::markup(left + right);
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    if (a.items().size() + b.items().size() > max_items(max_bytes)) return too_large(max_bytes);
    std::vector<Value> items = a.items();
    items.insert(items.end(), b.items().begin(), b.items().end());
    return a.is_tuple() ? Value::tuple(std::move(items)) : Value::list(std::move(items));
  }
  if (a.is_string() || a.is_list()) {
    return RF_ERROR(kInvalidArgument, "can only concatenate {} (not \"{}\") to {}", a.type_name(), b.type_name(),
                    a.type_name());
  }
  return unsupported(BinaryOp::kAdd, a, b);
}

Result<Value> repeat(const Value& sequence, int64_t count, size_t max_bytes) {
  const auto n = static_cast<size_t>(std::max<int64_t>(count, 0));
  if (sequence.is_string()) {
    const std::string& s = sequence.as_string();
    if (n > 0 && s.size() > max_bytes / n) return too_large(max_bytes);
    std::string out;
    out.reserve(s.size() * n);
    for (size_t i = 0; i < n; ++i) out += s;
    return sequence.is_markup() ? Value::markup(std::move(out)) : Value::string(std::move(out));
  }
  const std::vector<Value>& items = sequence.items();
  if (n > 0 && items.size() > max_items(max_bytes) / n) return too_large(max_bytes);
  std::vector<Value> out;
  out.reserve(items.size() * n);
  for (size_t i = 0; i < n; ++i) out.insert(out.end(), items.begin(), items.end());
  return sequence.is_tuple() ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

Result<Value> multiply(const Value& a, const Value& b, size_t max_bytes) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return Value::number(a.as_float() * b.as_float());
    int64_t product = 0;
    if (__builtin_mul_overflow(a.as_int(), b.as_int(), &product)) return overflow();
    return Value::integer(product);
  }
  const bool a_int = a.is_int() || a.is_bool();
  const bool b_int = b.is_int() || b.is_bool();
  if ((a.is_string() || a.is_list()) && b_int) return repeat(a, b.as_int(), max_bytes);
  if ((b.is_string() || b.is_list()) && a_int) return repeat(b, a.as_int(), max_bytes);
  if ((a.is_string() || a.is_list()) && b.is_number()) {
    return RF_ERROR(kInvalidArgument, "can't multiply sequence by non-int of type '{}'", b.type_name());
  }
  return unsupported(BinaryOp::kMultiply, a, b);
}

// Python's float divmod: the floor quotient and a remainder with the
// divisor's sign.
std::pair<double, double> float_divmod(double x, double y) {
  double mod = std::fmod(x, y);
  double div = (x - mod) / y;
  if (mod != 0.0) {
    if ((y < 0) != (mod < 0)) {
      mod += y;
      div -= 1.0;
    }
  } else {
    mod = std::copysign(0.0, y);
  }
  double floor_div = 0.0;
  if (div != 0.0) {
    floor_div = std::floor(div);
    if (div - floor_div > 0.5) floor_div += 1.0;
  } else {
    floor_div = std::copysign(0.0, x / y);
  }
  return {floor_div, mod};
}

Result<Value> divide(BinaryOp op, const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) {
    if (op == BinaryOp::kModulo && a.is_string()) {
      std::string text = RF_TRY(percent_format(a.as_string(), b.is_tuple() ? b.items() : std::vector<Value>{b}));
      return Value::string(std::move(text));
    }
    return unsupported(op, a, b);
  }
  if (op == BinaryOp::kDivide || a.is_float() || b.is_float()) {
    const double x = a.as_float();
    const double y = b.as_float();
    if (y == 0.0) {
      return RF_ERROR(kInvalidArgument, "{}", op == BinaryOp::kDivide ? "division by zero"
                                               : op == BinaryOp::kModulo ? "float modulo" : "float floor division by zero");
    }
    if (op == BinaryOp::kDivide) return Value::number(x / y);
    const auto [quotient, remainder] = float_divmod(x, y);
    return Value::number(op == BinaryOp::kFloorDivide ? quotient : remainder);
  }
  const int64_t x = a.as_int();
  const int64_t y = b.as_int();
  if (y == 0) return RF_ERROR(kInvalidArgument, "integer division or modulo by zero");
  if (x == INT64_MIN && y == -1) {
    if (op == BinaryOp::kModulo) return Value::integer(0);
    return overflow();
  }
  int64_t q = x / y;
  int64_t r = x % y;
  if (r != 0 && ((r < 0) != (y < 0))) {
    q -= 1;
    r += y;
  }
  return Value::integer(op == BinaryOp::kFloorDivide ? q : r);
}

Result<Value> power(const Value& a, const Value& b) {
  if (!a.is_number() || !b.is_number()) return unsupported(BinaryOp::kPower, a, b);
  if (a.is_float() || b.is_float() || b.as_int() < 0) {
    const double x = a.as_float();
    const double y = b.as_float();
    if (x == 0.0 && y < 0) return RF_ERROR(kInvalidArgument, "0.0 cannot be raised to a negative power");
    return Value::number(std::pow(x, y));
  }
  int64_t base = a.as_int();
  int64_t exponent = b.as_int();
  int64_t result = 1;
  while (exponent > 0) {
    if ((exponent & 1) != 0 && __builtin_mul_overflow(result, base, &result)) return overflow();
    exponent >>= 1;
    if (exponent > 0 && __builtin_mul_overflow(base, base, &base)) return overflow();
  }
  return Value::integer(result);
}

std::string_view compare_text(CompareOp op) {
  switch (op) {
    case CompareOp::kLess:
      return "<";
    case CompareOp::kLessEqual:
      return "<=";
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kGreaterEqual:
      return ">=";
    default:
      return "==";
  }
}

Result<int> order_as(const Value& a, const Value& b, CompareOp op) {
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) {
      const double x = a.as_float();
      const double y = b.as_float();
      return x < y ? -1 : (x > y ? 1 : 0);
    }
    return a.as_int() < b.as_int() ? -1 : (a.as_int() > b.as_int() ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    const auto& x = a.items();
    const auto& y = b.items();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (equals(x[i], y[i])) continue;
      return order_as(x[i], y[i], op);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return RF_ERROR(kInvalidArgument, "'{}' not supported between instances of '{}' and '{}'", compare_text(op),
                  a.type_name(), b.type_name());
}

}  // namespace

Error undefined_error(const Value& undefined) {
  const std::string& hint = undefined.undefined_hint();
  return RF_ERROR(kInvalidArgument, "{}", hint.empty() ? "an undefined value was used" : hint);
}

Result<Value> binary_op(BinaryOp op, const Value& a, const Value& b, size_t max_bytes) {
  if (a.is_undefined()) return undefined_error(a);
  if (b.is_undefined()) return undefined_error(b);
  switch (op) {
    case BinaryOp::kAdd:
      return add(a, b, max_bytes);
    case BinaryOp::kSubtract:
      if (!a.is_number() || !b.is_number()) return unsupported(op, a, b);
      if (a.is_float() || b.is_float()) return Value::number(a.as_float() - b.as_float());
      if (int64_t d = 0; !__builtin_sub_overflow(a.as_int(), b.as_int(), &d)) return Value::integer(d);
      return overflow();
    case BinaryOp::kMultiply:
      return multiply(a, b, max_bytes);
    case BinaryOp::kDivide:
    case BinaryOp::kFloorDivide:
    case BinaryOp::kModulo:
      return divide(op, a, b);
    case BinaryOp::kPower:
      return power(a, b);
  }
  return unsupported(op, a, b);
}

Result<Value> negate(const Value& v) {
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_float()) return Value::number(-v.as_float());
  if (v.is_int() || v.is_bool()) {
    if (v.as_int() == INT64_MIN) return overflow();
    return Value::integer(-v.as_int());
  }
  return RF_ERROR(kInvalidArgument, "bad operand type for unary -: '{}'", v.type_name());
}

Result<Value> unary_plus(const Value& v) {
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_float()) return v;
  if (v.is_int() || v.is_bool()) return Value::integer(v.as_int());
  return RF_ERROR(kInvalidArgument, "bad operand type for unary +: '{}'", v.type_name());
}

Result<bool> compare(CompareOp op, const Value& a, const Value& b) {
  switch (op) {
    case CompareOp::kEqual:
      return equals(a, b);
    case CompareOp::kNotEqual:
      return !equals(a, b);
    case CompareOp::kIn:
      return contains(b, a);
    case CompareOp::kNotIn:
      return !RF_TRY(contains(b, a));
    default:
      break;
  }
  const int c = RF_TRY(order_as(a, b, op));
  switch (op) {
    case CompareOp::kLess:
      return c < 0;
    case CompareOp::kLessEqual:
      return c <= 0;
    case CompareOp::kGreater:
      return c > 0;
    default:
      return c >= 0;
  }
}

Result<bool> contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::kUndefined:
      return false;  // Undefined iterates as empty
    case Value::Kind::kString:
      if (!item.is_string()) {
        return RF_ERROR(kInvalidArgument, "'in <string>' requires string as left operand, not {}", item.type_name());
      }
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::kList:
      for (const Value& v : container.items()) {
        if (equals(v, item)) return true;
      }
      return false;
    case Value::Kind::kDict:
      if (!dict_key(item)) return RF_ERROR(kInvalidArgument, "unhashable type: '{}'", item.type_name());
      return container.as_dict().find(item) != nullptr;
    default:
      return RF_ERROR(kInvalidArgument, "argument of type '{}' is not iterable", container.type_name());
  }
}

Result<int> order(const Value& a, const Value& b) { return order_as(a, b, CompareOp::kLess); }

}  // namespace rocmforge::chat::jinja
