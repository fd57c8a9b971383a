// Statements, scopes, macros and the render's bounds.
#include <algorithm>

#include <fmt/format.h>

#include "chat/jinja/access.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

// Restores a variable when it goes out of scope (also on an error return).
template <class T>
class Restore {
 public:
  Restore(T& slot, T value) : slot_(slot), saved_(std::move(slot)) { slot_ = std::move(value); }
  ~Restore() { slot_ = std::move(saved_); }
  Restore(const Restore&) = delete;
  Restore& operator=(const Restore&) = delete;

 private:
  T& slot_;
  T saved_;
};

Error unpack_error(size_t expected, size_t got) {
  if (got > expected) return RF_ERROR(kInvalidArgument, "too many values to unpack (expected {})", expected);
  return RF_ERROR(kInvalidArgument, "not enough values to unpack (expected {}, got {})", expected, got);
}

// jinja2's `loop` for item i: index, index0, revindex, revindex0, first, last,
// length, depth, depth0, previtem, nextitem, cycle(...) and changed(...).
Value loop_object(const std::vector<Value>& items, size_t i, const std::shared_ptr<Value>& changed_state) {
  const auto index = static_cast<int64_t>(i);
  const auto length = static_cast<int64_t>(items.size());
  DictBuilder loop;
  loop.set("index", Value::integer(index + 1));
  loop.set("index0", Value::integer(index));
  loop.set("revindex", Value::integer(length - index));
  loop.set("revindex0", Value::integer(length - index - 1));
  loop.set("first", Value::boolean(index == 0));
  loop.set("last", Value::boolean(index + 1 == length));
  loop.set("length", Value::integer(length));
  loop.set("depth", Value::integer(1));
  loop.set("depth0", Value::integer(0));
  if (index > 0) loop.set("previtem", items[i - 1]);
  if (index + 1 < length) loop.set("nextitem", items[i + 1]);
  loop.set("cycle", Value::callable({"loop.cycle", [i](Interpreter&, CallArgs args) -> Result<Value> {
                                       if (args.positional.empty()) {
                                         return RF_ERROR(kInvalidArgument, "no items for cycling given");
                                       }
                                       return args.positional[i % args.positional.size()];
                                     }}));
  // A weak reference: what changed() saw may hold the loop object itself.
  const std::weak_ptr<Value> weak_state = changed_state;
  loop.set("changed", Value::callable({"loop.changed", [weak_state](Interpreter&, CallArgs args) -> Result<Value> {
                                         const auto state = weak_state.lock();
                                         if (!state) return RF_ERROR(kInvalidArgument, "the loop has ended");
                                         Value values = Value::tuple(std::move(args.positional));
                                         if (!state->is_undefined() && equals(*state, values)) {
                                           return Value::boolean(false);
                                         }
                                         *state = std::move(values);
                                         return Value::boolean(true);
                                       }}));
  return std::move(loop).build();
}

}  // namespace

const Value* Scope::find(std::string_view name) const {
  for (const Scope* s = this; s != nullptr; s = s->parent_.get()) {
    const auto it = s->vars_.find(name);
    if (it != s->vars_.end()) return &it->second;
  }
  return nullptr;
}

void Scope::set(std::string_view name, Value value) {
  const auto it = vars_.find(name);
  if (it != vars_.end()) {
    it->second = std::move(value);
  } else {
    vars_.emplace(std::string(name), std::move(value));
  }
}

Interpreter::Interpreter(const RenderOptions& options)
    : options_(options), root_(std::make_shared<Scope>(nullptr)), scope_(root_) {}

std::tm Interpreter::now() const {
  if (options_.now) return options_.now();
  const std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  return local;
}

Namespace* Interpreter::make_namespace() { return &namespaces_.emplace_back(); }

Status Interpreter::charge(uint64_t steps) {
  steps_ += steps;
  if (steps_ > limits().max_steps) {
    return RF_ERROR(kCapacity, "the template ran more than {} steps", limits().max_steps);
  }
  return ok();
}

Status Interpreter::emit_at(SourcePos pos, std::string_view text) {
  if (out_->size() + text.size() > limits().max_output_bytes) {
    return at_position(pos, RF_ERROR(kCapacity, "the template's output would exceed {} bytes",
                                     limits().max_output_bytes));
  }
  out_->append(text);
  return ok();
}

Result<std::string> Interpreter::render(const Program& program,
                                        std::vector<std::pair<std::string, Value>> variables) {
  for (auto& [name, value] : variables) root_->set(name, std::move(value));
  std::string out;
  out_ = &out;
  RF_TRY(exec_body(program.body));
  return out;
}

Result<Interpreter::Flow> Interpreter::exec_body(const Body& body) {
  for (const Stmt& s : body) {
    const Flow flow = RF_TRY(exec(s));
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Result<std::string> Interpreter::capture(const Body& body) {
  std::string text;
  Restore<std::string*> sink(out_, &text);
  RF_TRY(exec_body(body));
  return text;
}

Result<Interpreter::Flow> Interpreter::exec(const Stmt& s) {
  if (auto charged = charge(1); !charged) return at_position(s.pos, std::move(charged).error());
  Flow flow = Flow::kNormal;
  switch (s.kind) {
    case StmtKind::kText:
      RF_TRY(emit_at(s.pos, s.text));
      break;
    case StmtKind::kOutput: {
      const Value value = RF_TRY(eval(*s.expr));
      RF_TRY(emit_at(s.pos, to_str(value, limits().max_output_bytes)));
      break;
    }
    case StmtKind::kIf:
      RF_TRY(exec_if(s, flow));
      break;
    case StmtKind::kFor:
      return exec_for(s);
    case StmtKind::kSet: {
      const Value value = RF_TRY(eval(*s.expr));
      RF_TRY(assign(s.target, value, s.pos));
      break;
    }
    case StmtKind::kSetBlock:
      RF_TRY(exec_set_block(s));
      break;
    case StmtKind::kMacro:
      scope_->set(s.macro->name, macro_value(s.macro));
      break;
    case StmtKind::kCallBlock:
      RF_TRY(exec_call_block(s));
      break;
    case StmtKind::kFilterBlock: {
      const Value text = Value::string(RF_TRY(capture(s.body)));
      const Value filtered = RF_TRY(apply_filter_chain(*s.expr, text));
      RF_TRY(emit_at(s.pos, to_str(filtered, limits().max_output_bytes)));
      break;
    }
    case StmtKind::kWith:
      RF_TRY(exec_with(s, flow));
      break;
    case StmtKind::kScope: {
      Restore<std::shared_ptr<Scope>> scope(scope_, std::make_shared<Scope>(scope_));
      RF_TRY(exec_body(s.body));
      break;
    }
    case StmtKind::kBreak:
      return Flow::kBreak;
    case StmtKind::kContinue:
      return Flow::kContinue;
  }
  return flow;
}

Status Interpreter::exec_if(const Stmt& s, Flow& flow) {
  for (const IfBranch& branch : s.branches) {
    if (RF_TRY(eval(*branch.test)).truthy()) {
      flow = RF_TRY(exec_body(branch.body));
      return ok();
    }
  }
  flow = RF_TRY(exec_body(s.else_body));
  return ok();
}

Status Interpreter::bind_loop_targets(const Target& target, const Value& item, Scope& scope) {
  if (!target.unpack) {
    scope.set(target.names[0], item);
    return ok();
  }
  const std::vector<Value> parts = RF_TRY(iterate(item));
  if (parts.size() != target.names.size()) return unpack_error(target.names.size(), parts.size());
  for (size_t i = 0; i < parts.size(); ++i) scope.set(target.names[i], parts[i]);
  return ok();
}

Result<Interpreter::Flow> Interpreter::exec_for(const Stmt& s) {
  const Value iterable = RF_TRY(eval(*s.expr));
  auto all = iterate(iterable);
  if (!all) return at_position(s.expr->pos, std::move(all).error());
  std::vector<Value> items = std::move(*all);
  if (s.condition) {
    // `for x in xs if test`: the test sees the loop variables, not `loop`.
    std::vector<Value> kept;
    for (Value& item : items) {
      Restore<std::shared_ptr<Scope>> scope(scope_, std::make_shared<Scope>(scope_));
      if (auto bound = bind_loop_targets(s.target, item, *scope_); !bound) {
        return at_position(s.pos, std::move(bound).error());
      }
      if (RF_TRY(eval(*s.condition)).truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  // The else body is not inside this loop: a break there ends an outer one.
  if (items.empty()) return exec_body(s.else_body);
  // What loop.changed() last saw, shared by the loop's iterations.
  const auto changed_state = std::make_shared<Value>();
  for (size_t i = 0; i < items.size(); ++i) {
    if (++iterations_ > limits().max_loop_iterations) {
      return at_position(s.pos, RF_ERROR(kCapacity, "the template's loops ran more than {} iterations",
                                         limits().max_loop_iterations));
    }
    if (RF_TRY(run_iteration(s, items, i, changed_state)) == Flow::kBreak) break;
  }
  return Flow::kNormal;
}

Result<Interpreter::Flow> Interpreter::run_iteration(const Stmt& s, const std::vector<Value>& items, size_t i,
                                                     const std::shared_ptr<Value>& changed_state) {
  Restore<std::shared_ptr<Scope>> scope(scope_, std::make_shared<Scope>(scope_));
  if (auto bound = bind_loop_targets(s.target, items[i], *scope_); !bound) {
    return at_position(s.pos, std::move(bound).error());
  }
  scope_->set("loop", loop_object(items, i, changed_state));
  return exec_body(s.body);
}

Status Interpreter::assign(const Target& target, const Value& value, SourcePos pos) {
  if (!target.attribute.empty()) {
    const Value* ns = scope_->find(target.names[0]);
    if (ns == nullptr || !ns->is_namespace()) {
      return at_position(pos, RF_ERROR(kInvalidArgument, "cannot assign attribute on non-namespace object '{}'",
                                       target.names[0]));
    }
    ns->as_namespace().set(target.attribute, value);
    return ok();
  }
  if (!target.unpack) {
    scope_->set(target.names[0], value);
    return ok();
  }
  auto parts = iterate(value);
  if (!parts) return at_position(pos, std::move(parts).error());
  if (parts->size() != target.names.size()) return at_position(pos, unpack_error(target.names.size(), parts->size()));
  for (size_t i = 0; i < parts->size(); ++i) scope_->set(target.names[i], (*parts)[i]);
  return ok();
}

Status Interpreter::exec_set_block(const Stmt& s) {
  Value value = Value::string(RF_TRY(capture(s.body)));
  if (s.expr) value = RF_TRY(apply_filter_chain(*s.expr, value));
  return assign(s.target, value, s.pos);
}

Value Interpreter::macro_value(std::shared_ptr<const MacroDef> macro) {
  std::weak_ptr<Scope> scope = scope_;
  const std::string name = macro->name;
  return Value::callable({name,
                          [macro = std::move(macro), scope](Interpreter& interp, CallArgs args) {
                            return interp.call_macro(*macro, scope, std::move(args));
                          },
                          true});
}

Result<Value> Interpreter::call_macro(const MacroDef& macro, const std::weak_ptr<Scope>& defined_in, CallArgs args) {
  if (call_depth_ >= limits().max_call_depth) {
    return RF_ERROR(kCapacity, "macros nested more than {} calls deep", limits().max_call_depth);
  }
  Restore<int> depth(call_depth_, call_depth_ + 1);
  std::shared_ptr<Scope> parent = defined_in.lock();
  // A macro called after its defining loop iteration ended sees the top level.
  Restore<std::shared_ptr<Scope>> scope(scope_, std::make_shared<Scope>(parent ? parent : root_));

  const size_t n_params = macro.params.size();
  std::vector<bool> given(n_params, false);
  std::vector<Value> varargs;
  for (size_t i = 0; i < args.positional.size(); ++i) {
    if (i < n_params) {
      scope_->set(macro.params[i], std::move(args.positional[i]));
      given[i] = true;
    } else if (macro.uses_varargs) {
      varargs.push_back(std::move(args.positional[i]));
    } else {
      return RF_ERROR(kInvalidArgument, "macro '{}' takes not more than {} argument(s)", macro.name, n_params);
    }
  }
  DictBuilder kwargs;
  Value caller = Value::undefined("no caller defined");
  for (auto& [name, value] : args.keyword) {
    const auto it = std::find(macro.params.begin(), macro.params.end(), name);
    if (it != macro.params.end()) {
      const auto i = static_cast<size_t>(it - macro.params.begin());
      if (given[i]) return RF_ERROR(kInvalidArgument, "macro '{}' got multiple values for argument '{}'", macro.name, name);
      scope_->set(name, std::move(value));
      given[i] = true;
    } else if (name == "caller" && macro.uses_caller) {
      caller = std::move(value);
    } else if (macro.uses_kwargs) {
      kwargs.set(name, std::move(value));
    } else {
      return RF_ERROR(kInvalidArgument, "macro '{}' takes no keyword argument '{}'", macro.name, name);
    }
  }
  const size_t first_default = n_params - macro.defaults.size();
  for (size_t i = 0; i < n_params; ++i) {
    if (given[i]) continue;
    if (i >= first_default) {
      scope_->set(macro.params[i], RF_TRY(eval(*macro.defaults[i - first_default])));
    } else {
      scope_->set(macro.params[i], Value::undefined(fmt::format("parameter '{}' was not provided", macro.params[i])));
    }
  }
  if (macro.uses_varargs) scope_->set("varargs", Value::tuple(std::move(varargs)));
  if (macro.uses_kwargs) scope_->set("kwargs", std::move(kwargs).build());
  if (macro.uses_caller) scope_->set("caller", std::move(caller));
  return Value::string(RF_TRY(capture(macro.body)));
}

Status Interpreter::exec_call_block(const Stmt& s) {
  const Expr& call = *s.expr;
  const Value callee = RF_TRY(eval(*call.children[0]));
  CallArgs args = RF_TRY(eval_args(call));
  args.keyword.emplace_back("caller", macro_value(s.macro));
  const Value result = RF_TRY(invoke(callee, std::move(args), call.pos));
  return emit_at(s.pos, to_str(result, limits().max_output_bytes));
}

Status Interpreter::exec_with(const Stmt& s, Flow& flow) {
  std::vector<Value> values;
  for (const auto& [name, expr] : s.bindings) values.push_back(RF_TRY(eval(*expr)));
  Restore<std::shared_ptr<Scope>> scope(scope_, std::make_shared<Scope>(scope_));
  for (size_t i = 0; i < values.size(); ++i) scope_->set(s.bindings[i].first, std::move(values[i]));
  flow = RF_TRY(exec_body(s.body));
  return ok();
}

}  // namespace rocmforge::chat::jinja
