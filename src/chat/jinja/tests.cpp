// The tests of `x is name`: jinja2's tests.py.
#include <fmt/format.h>

#include "chat/jinja/builtin_groups.h"
#include "chat/jinja/builtins.h"
#include "chat/jinja/call_args.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

// A test of the value alone (`x is string`).
template <bool (*Predicate)(const Value&)>
Result<bool> unary(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("test", std::move(args), {}));
  return Predicate(input);
}

bool is_defined(const Value& v) { return !v.is_undefined(); }
bool is_undefined(const Value& v) { return v.is_undefined(); }
bool is_none(const Value& v) { return v.is_none(); }
bool is_boolean(const Value& v) { return v.is_bool(); }
bool is_false(const Value& v) { return v.is_bool() && !v.as_bool(); }
bool is_true(const Value& v) { return v.is_bool() && v.as_bool(); }
bool is_integer(const Value& v) { return v.is_int(); }
bool is_float(const Value& v) { return v.is_float(); }
bool is_number(const Value& v) { return v.is_number(); }
bool is_string(const Value& v) { return v.is_string(); }
bool is_mapping(const Value& v) { return v.is_dict(); }
bool is_callable(const Value& v) { return v.is_callable(); }
// iter() works: str, list, tuple, dict, and Undefined (which iterates as empty).
bool is_iterable(const Value& v) { return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined(); }
// len() and [] work (Undefined has both).
bool is_sequence(const Value& v) { return is_iterable(v); }
bool is_escaped(const Value& v) { return v.is_markup(); }
bool is_lower(const Value& v) { return py_text::is_class(to_str(v), py_text::CharClass::kLower); }
bool is_upper(const Value& v) { return py_text::is_class(to_str(v), py_text::CharClass::kUpper); }

Result<int64_t> integer_of(const Value& v, std::string_view test) {
  if (v.is_undefined()) return undefined_error(v);
  if (v.is_int() || v.is_bool()) return v.as_int();
  return RF_ERROR(kInvalidArgument, "'{}' needs an integer, not {}", test, v.type_name());
}

Result<bool> is_odd(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("odd", std::move(args), {}));
  const int64_t v = RF_TRY(integer_of(input, "odd"));
  return v % 2 != 0;
}

Result<bool> is_even(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("even", std::move(args), {}));
  const int64_t v = RF_TRY(integer_of(input, "even"));
  return v % 2 == 0;
}

Result<bool> is_divisible_by(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("divisibleby", std::move(args), {{"num", {}}}));
  const int64_t v = RF_TRY(integer_of(input, "divisibleby"));
  const int64_t n = RF_TRY(integer_of(a[0], "divisibleby"));
  if (n == 0) return RF_ERROR(kInvalidArgument, "integer division or modulo by zero");
  return n == -1 || v % n == 0;
}

template <CompareOp Op>
Result<bool> comparison(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("compare", std::move(args), {{"other", {}}}));
  return compare(Op, input, a[0]);
}

Result<bool> is_in(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("in", std::move(args), {{"seq", {}}}));
  return contains(a[0], input);
}

// `x is sameas y`: Python's identity, which for the values templates compare
// this way (none, booleans, small ints) is equality of the same type.
Result<bool> is_same_as(Interpreter&, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("sameas", std::move(args), {{"other", {}}}));
  return input.kind() == a[0].kind() && equals(input, a[0]);
}

Result<bool> is_filter(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("filter", std::move(args), {}));
  return input.is_string() && find_filter(input.as_string()) != nullptr;
}

Result<bool> is_test(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(bind_args("test", std::move(args), {}));
  return input.is_string() && find_test(input.as_string()) != nullptr;
}

const TestEntry kTests[] = {
    {"defined", unary<is_defined>},
    {"undefined", unary<is_undefined>},
    {"none", unary<is_none>},
    {"boolean", unary<is_boolean>},
    {"false", unary<is_false>},
    {"true", unary<is_true>},
    {"integer", unary<is_integer>},
    {"float", unary<is_float>},
    {"number", unary<is_number>},
    {"string", unary<is_string>},
    {"mapping", unary<is_mapping>},
    {"iterable", unary<is_iterable>},
    {"sequence", unary<is_sequence>},
    {"callable", unary<is_callable>},
    {"escaped", unary<is_escaped>},
    {"lower", unary<is_lower>},
    {"upper", unary<is_upper>},
    {"odd", is_odd},
    {"even", is_even},
    {"divisibleby", is_divisible_by},
    {"eq", comparison<CompareOp::kEqual>},
    {"equalto", comparison<CompareOp::kEqual>},
    {"==", comparison<CompareOp::kEqual>},
    {"ne", comparison<CompareOp::kNotEqual>},
    {"!=", comparison<CompareOp::kNotEqual>},
    {"lt", comparison<CompareOp::kLess>},
    {"lessthan", comparison<CompareOp::kLess>},
    {"<", comparison<CompareOp::kLess>},
    {"le", comparison<CompareOp::kLessEqual>},
    {"<=", comparison<CompareOp::kLessEqual>},
    {"gt", comparison<CompareOp::kGreater>},
    {"greaterthan", comparison<CompareOp::kGreater>},
    {">", comparison<CompareOp::kGreater>},
    {"ge", comparison<CompareOp::kGreaterEqual>},
    {">=", comparison<CompareOp::kGreaterEqual>},
    {"in", is_in},
    {"sameas", is_same_as},
    {"filter", is_filter},
    {"test", is_test},
};

}  // namespace

std::span<const TestEntry> builtin_tests() { return kTests; }

}  // namespace rocmforge::chat::jinja
