// Python's operators on Values: arithmetic (int stays int, `/` always gives a
// float, `//` and `%` floor, bool counts as int), `+` and `*` on strings and
// lists, ordering comparisons and `in`.
//
// Errors are kInvalidArgument with Python's wording ("unsupported operand
// type(s) for +: 'str' and 'int'"). Python's ints never overflow; ours are 64
// bits, and overflow is an error rather than a wrong number. An undefined
// operand is the "'x' is undefined" error jinja2 raises.
#pragma once

#include "chat/jinja/ast.h"
#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

// The error for using an undefined value (its hint, or a generic message).
Error undefined_error(const Value& undefined);

// `max_bytes` bounds strings and lists that `*` and `+` build.
Result<Value> binary_op(BinaryOp op, const Value& a, const Value& b, size_t max_bytes);
Result<Value> negate(const Value& v);
Result<Value> unary_plus(const Value& v);

// a < b, a <= b, ... (kEqual and kNotEqual never fail).
Result<bool> compare(CompareOp op, const Value& a, const Value& b);
// item in container.
Result<bool> contains(const Value& container, const Value& item);

// Orders two values for sort/min/max/dictsort: -1, 0 or 1.
Result<int> order(const Value& a, const Value& b);

}  // namespace rocmforge::chat::jinja
