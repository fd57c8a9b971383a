// Runs a Program: evaluates expressions (evaluate.cpp) and statements
// (execute.cpp) against scopes of variables, writing the output.
//
// Scopes follow jinja2: the template's top level is one scope; each for-loop
// iteration, macro call and `with` block gets a child scope, so a `set` inside
// a loop is gone at the next iteration (which is why templates use
// namespace()), while a `set` inside an `if` is not scoped. A macro sees the
// scope it was defined in, as it is when the macro is called.
//
// One Interpreter renders once; it is not shared between threads.
#pragma once

#include <ctime>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/render_options.h"
#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

class Scope {
 public:
  explicit Scope(std::shared_ptr<Scope> parent) : parent_(std::move(parent)) {}

  // This scope's variable or the nearest enclosing one's; nullptr if none.
  const Value* find(std::string_view name) const;
  void set(std::string_view name, Value value);

 private:
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const { return std::hash<std::string_view>{}(name); }
  };
  std::unordered_map<std::string, Value, NameHash, std::equal_to<>> vars_;
  std::shared_ptr<Scope> parent_;
};

class Interpreter {
 public:
  explicit Interpreter(const RenderOptions& options);

  Result<std::string> render(const Program& program, std::vector<std::pair<std::string, Value>> variables);

  // For built-ins.
  const RenderLimits& limits() const { return options_.limits; }
  std::tm now() const;
  // A namespace that lives until the render ends.
  Namespace* make_namespace();
  // Counts work (items sorted, ...) against max_steps.
  Status charge(uint64_t steps);
  // Counts building a string of `bytes` bytes: one step per 64 bytes (copying
  // is far cheaper than evaluating).
  Status charge_bytes(size_t bytes) { return charge(1 + bytes / 64); }
  // Calls a filter or test by name (for map('upper'), select('odd'), ...).
  Result<Value> apply_filter(std::string_view name, const Value& input, CallArgs args);
  Result<bool> apply_test(std::string_view name, const Value& input, CallArgs args);
  // Runs a macro (or a call block's body) defined in `scope`; its output is
  // the value. `caller` is the call block's body when there is one.
  Result<Value> call_macro(const MacroDef& macro, const std::weak_ptr<Scope>& scope, CallArgs args);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  // evaluate.cpp
  Result<Value> eval(const Expr& e);
  Result<Value> eval_kind(const Expr& e);
  Result<Value> eval_name(const Expr& e);
  Result<Value> eval_attribute(const Expr& e);
  Result<Value> eval_item(const Expr& e);
  Result<CallArgs> eval_args(const Expr& e);
  Result<Value> eval_call(const Expr& e);
  Result<Value> eval_filter(const Expr& e);
  Result<Value> apply_filter_expr(const Expr& e, const Value& input);
  // A block's filters (`{% filter a | b %}`): the chain's innermost input is
  // `input`.
  Result<Value> apply_filter_chain(const Expr& e, const Value& input);
  Result<Value> eval_test(const Expr& e);
  Result<Value> eval_compare(const Expr& e);
  Result<Value> eval_concat(const Expr& e);
  Result<Value> invoke(const Value& callee, CallArgs args, SourcePos pos);

  // execute.cpp
  Result<Flow> exec_body(const Body& body);
  Result<Flow> exec(const Stmt& s);
  Status exec_if(const Stmt& s, Flow& flow);
  Result<Flow> exec_for(const Stmt& s);
  Result<Flow> run_iteration(const Stmt& s, const std::vector<Value>& items, size_t i,
                             const std::shared_ptr<Value>& changed_state);
  Status exec_set_block(const Stmt& s);
  Status exec_call_block(const Stmt& s);
  Status exec_with(const Stmt& s, Flow& flow);
  Status assign(const Target& target, const Value& value, SourcePos pos);
  Status bind_loop_targets(const Target& target, const Value& item, Scope& scope);
  Result<std::string> capture(const Body& body);
  Value macro_value(std::shared_ptr<const MacroDef> macro);
  // Appends to the output; kCapacity (at `pos`) past max_output_bytes.
  Status emit_at(SourcePos pos, std::string_view text);

  const RenderOptions& options_;
  std::shared_ptr<Scope> root_;
  std::shared_ptr<Scope> scope_;
  std::string* out_ = nullptr;
  std::deque<Namespace> namespaces_;
  uint64_t steps_ = 0;
  uint64_t iterations_ = 0;
  int call_depth_ = 0;
};

// "line 3, column 14: <message>", keeping the error's code.
Error at_position(SourcePos pos, Error error);

}  // namespace rocmforge::chat::jinja
