// Expressions. Errors raised by an operation or a built-in get the position
// of the expression that ran it; errors from a sub-expression pass up as
// they are, so each error names the innermost construct that failed.
#include <fmt/format.h>

#include "chat/jinja/access.h"
#include "chat/jinja/builtins.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/operators.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {

Error at_position(SourcePos pos, Error error) { return std::move(error).with_context(describe(pos)); }

namespace {

// Passes `result` on, positioned at `pos` if it is an error.
template <class T>
Result<T> positioned(SourcePos pos, Result<T> result) {
  if (!result) return at_position(pos, std::move(result).error());
  return result;
}

}  // namespace

Result<Value> Interpreter::eval(const Expr& e) {
  RF_TRY(positioned(e.pos, charge(1)));
  Value v = RF_TRY(eval_kind(e));
  if (v.depth() > kMaxValueDepth) {
    return at_position(e.pos, RF_ERROR(kCapacity, "a value nests deeper than {} levels", kMaxValueDepth));
  }
  return v;
}

Result<Value> Interpreter::eval_kind(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kLiteral:
      return e.literal;
    case ExprKind::kName:
      return eval_name(e);
    case ExprKind::kList:
    case ExprKind::kTuple: {
      std::vector<Value> items;
      items.reserve(e.children.size());
      for (const auto& c : e.children) items.push_back(RF_TRY(eval(*c)));
      return e.kind == ExprKind::kList ? Value::list(std::move(items)) : Value::tuple(std::move(items));
    }
    case ExprKind::kDict: {
      DictBuilder dict;
      for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
        Value key = RF_TRY(eval(*e.children[i]));
        Value value = RF_TRY(eval(*e.children[i + 1]));
        RF_TRY(positioned(e.children[i]->pos, dict.set(std::move(key), std::move(value))));
      }
      return std::move(dict).build();
    }
    case ExprKind::kGetAttr:
      return eval_attribute(e);
    case ExprKind::kGetItem:
      return eval_item(e);
    case ExprKind::kSlice:
      return at_position(e.pos, RF_ERROR(kInvalidArgument, "a slice is valid only inside []"));
    case ExprKind::kCall:
      return eval_call(e);
    case ExprKind::kFilter:
      return eval_filter(e);
    case ExprKind::kTest:
      return eval_test(e);
    case ExprKind::kNot:
      return Value::boolean(!RF_TRY(eval(*e.children[0])).truthy());
    case ExprKind::kNegate:
      return positioned(e.pos, negate(RF_TRY(eval(*e.children[0]))));
    case ExprKind::kPlus:
      return positioned(e.pos, unary_plus(RF_TRY(eval(*e.children[0]))));
    case ExprKind::kBinary: {
      const Value a = RF_TRY(eval(*e.children[0]));
      const Value b = RF_TRY(eval(*e.children[1]));
      Value result = RF_TRY(positioned(e.pos, binary_op(e.op, a, b, limits().max_output_bytes)));
      if (result.is_string()) RF_TRY(positioned(e.pos, charge_bytes(result.as_string().size())));
      return result;
    }
    case ExprKind::kConcat:
      return eval_concat(e);
    case ExprKind::kAnd: {
      Value a = RF_TRY(eval(*e.children[0]));
      return a.truthy() ? eval(*e.children[1]) : Result<Value>(std::move(a));
    }
    case ExprKind::kOr: {
      Value a = RF_TRY(eval(*e.children[0]));
      return a.truthy() ? Result<Value>(std::move(a)) : eval(*e.children[1]);
    }
    case ExprKind::kCompare:
      return eval_compare(e);
    case ExprKind::kCondition:
      if (RF_TRY(eval(*e.children[1])).truthy()) return eval(*e.children[0]);
      if (e.children[2]) return eval(*e.children[2]);
      return Value::undefined(fmt::format("the inline if-expression on {} evaluated to false and no else section "
                                          "was defined",
                                          describe(e.pos)));
  }
  return Value();
}

Result<Value> Interpreter::eval_name(const Expr& e) {
  if (const Value* v = scope_->find(e.name)) return *v;
  if (auto global = find_global(e.name)) return std::move(*global);
  return Value::undefined(fmt::format("'{}' is undefined", e.name));
}

Result<Value> Interpreter::eval_attribute(const Expr& e) {
  const Value object = RF_TRY(eval(*e.children[0]));
  if (object.is_undefined()) return at_position(e.pos, undefined_error(object));
  return get_attribute(object, e.name);
}

Result<Value> Interpreter::eval_item(const Expr& e) {
  const Value object = RF_TRY(eval(*e.children[0]));
  if (object.is_undefined()) return at_position(e.pos, undefined_error(object));
  const Expr& key = *e.children[1];
  if (key.kind != ExprKind::kSlice) return get_item(object, RF_TRY(eval(key)));
  Value bounds[3];
  for (size_t i = 0; i < 3; ++i) {
    if (key.children[i]) bounds[i] = RF_TRY(eval(*key.children[i]));
  }
  Value slice = RF_TRY(positioned(e.pos, get_slice(object, bounds[0], bounds[1], bounds[2])));
  if (slice.is_string()) RF_TRY(positioned(e.pos, charge_bytes(slice.as_string().size())));
  return slice;
}

Result<CallArgs> Interpreter::eval_args(const Expr& e) {
  CallArgs args;
  for (const auto& a : e.args) args.positional.push_back(RF_TRY(eval(*a)));
  if (e.star_args) {
    const Value extra = RF_TRY(eval(*e.star_args));
    for (Value& v : RF_TRY(positioned(e.star_args->pos, iterate(extra)))) args.positional.push_back(std::move(v));
  }
  for (const auto& [name, a] : e.kwargs) args.keyword.emplace_back(name, RF_TRY(eval(*a)));
  if (e.star_kwargs) {
    const Value extra = RF_TRY(eval(*e.star_kwargs));
    if (!extra.is_dict()) {
      return at_position(e.star_kwargs->pos, RF_ERROR(kInvalidArgument, "argument after ** must be a mapping, not {}",
                                                      extra.type_name()));
    }
    for (const auto& [key, v] : extra.as_dict().entries) {
      if (!key.is_string()) return at_position(e.star_kwargs->pos, RF_ERROR(kInvalidArgument, "keywords must be strings"));
      args.keyword.emplace_back(key.as_string(), v);
    }
  }
  return args;
}

Result<Value> Interpreter::invoke(const Value& callee, CallArgs args, SourcePos pos) {
  if (callee.is_undefined()) return at_position(pos, undefined_error(callee));
  if (!callee.is_callable()) {
    return at_position(pos, RF_ERROR(kInvalidArgument, "'{}' object is not callable", callee.type_name()));
  }
  const Callable& f = callee.as_callable();
  Result<Value> result = f.function(*this, std::move(args));
  if (!result && !f.passes_errors) {
    return at_position(pos, std::move(result).error().with_context(fmt::format("{}()", f.name)));
  }
  return result;
}

Result<Value> Interpreter::eval_call(const Expr& e) {
  const Value callee = RF_TRY(eval(*e.children[0]));
  CallArgs args = RF_TRY(eval_args(e));
  return invoke(callee, std::move(args), e.pos);
}

Result<Value> Interpreter::apply_filter_expr(const Expr& e, const Value& input) {
  CallArgs args = RF_TRY(eval_args(e));
  if (e.filter == nullptr) return at_position(e.pos, RF_ERROR(kInvalidArgument, "no filter named '{}'", e.name));
  if (e.filter->function == nullptr) {
    return at_position(e.pos, RF_ERROR(kUnsupported, "filter '{}' is not supported", e.name));
  }
  Result<Value> result = e.filter->function(*this, input, std::move(args));
  if (!result) return at_position(e.pos, std::move(result).error().with_context(fmt::format("filter '{}'", e.name)));
  return result;
}

Result<Value> Interpreter::apply_filter_chain(const Expr& e, const Value& input) {
  if (!e.children[0]) return apply_filter_expr(e, input);
  const Value inner = RF_TRY(apply_filter_chain(*e.children[0], input));
  return apply_filter_expr(e, inner);
}

Result<Value> Interpreter::eval_filter(const Expr& e) {
  if (!e.children[0]) return at_position(e.pos, RF_ERROR(kInternal, "filter without input"));
  const Value input = RF_TRY(eval(*e.children[0]));
  return apply_filter_expr(e, input);
}

Result<Value> Interpreter::eval_test(const Expr& e) {
  const Value input = RF_TRY(eval(*e.children[0]));
  CallArgs args = RF_TRY(eval_args(e));
  if (e.test == nullptr) return at_position(e.pos, RF_ERROR(kInvalidArgument, "no test named '{}'", e.name));
  if (e.test->function == nullptr) {
    return at_position(e.pos, RF_ERROR(kUnsupported, "test '{}' is not supported", e.name));
  }
  Result<bool> result = e.test->function(*this, input, std::move(args));
  if (!result) return at_position(e.pos, std::move(result).error().with_context(fmt::format("test '{}'", e.name)));
  return Value::boolean(*result);
}

Result<Value> Interpreter::eval_compare(const Expr& e) {
  Value left = RF_TRY(eval(*e.children[0]));
  for (size_t i = 0; i < e.compare_ops.size(); ++i) {
    Value right = RF_TRY(eval(*e.children[i + 1]));
    if (!RF_TRY(positioned(e.pos, compare(e.compare_ops[i], left, right)))) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Result<Value> Interpreter::eval_concat(const Expr& e) {
  std::string text;
  for (const auto& c : e.children) {
    const Value part = RF_TRY(eval(*c));
    text += to_str(part, limits().max_output_bytes);
    if (text.size() > limits().max_output_bytes) {
      return at_position(e.pos, RF_ERROR(kCapacity, "a string built by the template would exceed {} bytes",
                                         limits().max_output_bytes));
    }
  }
  RF_TRY(positioned(e.pos, charge_bytes(text.size())));
  return Value::string(std::move(text));
}

Result<Value> Interpreter::apply_filter(std::string_view name, const Value& input, CallArgs args) {
  const FilterEntry* filter = find_filter(name);
  if (filter == nullptr) return RF_ERROR(kInvalidArgument, "no filter named '{}'", name);
  if (filter->function == nullptr) return RF_ERROR(kUnsupported, "filter '{}' is not supported", name);
  return filter->function(*this, input, std::move(args));
}

Result<bool> Interpreter::apply_test(std::string_view name, const Value& input, CallArgs args) {
  const TestEntry* test = find_test(name);
  if (test == nullptr) return RF_ERROR(kInvalidArgument, "no test named '{}'", name);
  if (test->function == nullptr) return RF_ERROR(kUnsupported, "test '{}' is not supported", name);
  return test->function(*this, input, std::move(args));
}

}  // namespace rocmforge::chat::jinja
