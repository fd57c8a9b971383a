// The parsed form of a template: expressions and statements, each with the
// position it came from (for error messages).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "chat/jinja/lexer.h"
#include "chat/jinja/value.h"

namespace rocmforge::chat::jinja {

struct FilterEntry;
struct TestEntry;

enum class ExprKind {
  kLiteral,    // literal
  kName,       // name
  kList,       // children: the items
  kTuple,      // children: the items
  kDict,       // children: key, value, key, value, ...
  kGetAttr,    // children[0].name
  kGetItem,    // children[0][children[1]]
  kSlice,      // children: start, stop, step (null when left out); only as a kGetItem key
  kCall,       // children[0](args, kwargs)
  kFilter,     // children[0] | name(args, kwargs); children[0] is null in a filter block
  kTest,       // children[0] is name(args, kwargs)
  kNot,        // not children[0]
  kNegate,     // -children[0]
  kPlus,       // +children[0]
  kBinary,     // children[0] op children[1]
  kConcat,     // children[0] ~ children[1] ~ ...
  kAnd,        // children[0] and children[1]
  kOr,         // children[0] or children[1]
  kCompare,    // children[0] compare_ops[0] children[1] compare_ops[1] children[2] ...
  kCondition,  // children[0] if children[1] else children[2] (null: undefined)
};

enum class BinaryOp { kAdd, kSubtract, kMultiply, kDivide, kFloorDivide, kModulo, kPower };
enum class CompareOp { kEqual, kNotEqual, kLess, kLessEqual, kGreater, kGreaterEqual, kIn, kNotIn };

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourcePos pos;
  int height = 1;  // 1 + the tallest child (the parser bounds it)
  Value literal;
  std::string name;
  BinaryOp op = BinaryOp::kAdd;
  std::vector<CompareOp> compare_ops;
  std::vector<ExprPtr> children;
  // Calls, filters and tests.
  std::vector<ExprPtr> args;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
  ExprPtr star_args;    // f(*xs)
  ExprPtr star_kwargs;  // f(**d)
  const FilterEntry* filter = nullptr;
  const TestEntry* test = nullptr;
};

// The left side of `set` and the variables of `for`: one name, names to
// unpack a sequence into, or a namespace attribute (`set ns.count = 1`).
struct Target {
  std::vector<std::string> names;
  bool unpack = false;  // `a, b` (also a one-name tuple: `a,`)
  std::string attribute;  // set: names[0] is the namespace
};

struct Stmt;
using Body = std::vector<Stmt>;

// A macro, or the body of a call block (which the callee runs as `caller`).
struct MacroDef {
  std::string name;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // for the last defaults.size() params
  Body body;
  // Whether the body reads varargs / kwargs / caller: jinja2 lets a macro take
  // extra arguments only then.
  bool uses_varargs = false;
  bool uses_kwargs = false;
  bool uses_caller = false;
};

enum class StmtKind {
  kText,         // text
  kOutput,       // {{ expr }}
  kIf,           // branches, else_body
  kFor,          // for target in expr [if condition]: body, else_body
  kSet,          // set target = expr
  kSetBlock,     // set target [| filters in expr]: body
  kMacro,        // macro
  kCallBlock,    // call[(macro params)] expr: macro is the caller
  kFilterBlock,  // filter expr: body
  kWith,         // with bindings: body
  kScope,        // body, in a scope of its own (transformers' {% generation %})
  kBreak,
  kContinue,
};

struct IfBranch {
  ExprPtr test;
  Body body;
};

struct Stmt {
  StmtKind kind = StmtKind::kText;
  SourcePos pos;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  Target target;
  std::vector<IfBranch> branches;
  Body body;
  Body else_body;
  std::shared_ptr<const MacroDef> macro;
  std::vector<std::pair<std::string, ExprPtr>> bindings;
};

struct Program {
  Body body;
};

}  // namespace rocmforge::chat::jinja
