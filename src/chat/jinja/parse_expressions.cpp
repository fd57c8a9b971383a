// Expressions, following jinja2's parser.py function by function.
#include <algorithm>

#include <fmt/format.h>

#include "chat/jinja/builtins.h"
#include "chat/jinja/parser.h"

namespace rocmforge::chat::jinja {
namespace {

ExprPtr make(ExprKind kind, SourcePos pos) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->pos = pos;
  return e;
}

const struct {
  std::string_view text;
  CompareOp op;
} kCompareOps[] = {{"==", CompareOp::kEqual},   {"!=", CompareOp::kNotEqual},    {"<", CompareOp::kLess},
                   {"<=", CompareOp::kLessEqual}, {">", CompareOp::kGreater}, {">=", CompareOp::kGreaterEqual}};

const struct {
  std::string_view text;
  BinaryOp op;
} kProductOps[] = {{"*", BinaryOp::kMultiply},
                   {"/", BinaryOp::kDivide},
                   {"//", BinaryOp::kFloorDivide},
                   {"%", BinaryOp::kModulo}};

}  // namespace

bool Parser::at_operator(std::string_view op) const {
  return current().kind == TokenKind::kOperator && current().text == op;
}

bool Parser::at_name(std::string_view name) const { return current().kind == TokenKind::kName && current().text == name; }

bool Parser::at_any_name(std::initializer_list<std::string_view> names) const {
  return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return at_name(n); });
}

bool Parser::skip_operator(std::string_view op) {
  if (!at_operator(op)) return false;
  advance();
  return true;
}

bool Parser::skip_name(std::string_view name) {
  if (!at_name(name)) return false;
  advance();
  return true;
}

namespace {

std::string describe_token(const Token& token) {
  switch (token.kind) {
    case TokenKind::kText:
      return "template text";
    case TokenKind::kVariableBegin:
      return "'{{'";
    case TokenKind::kVariableEnd:
      return "'}}'";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "'%}'";
    case TokenKind::kString:
      return "a string";
    case TokenKind::kEnd:
      return "the end of the template";
    default:
      return fmt::format("'{}'", token.text);
  }
}

}  // namespace

Error Parser::fail_at(SourcePos pos, std::string_view message) const {
  return RF_ERROR(kParse, "{}: {}", describe(pos), message);
}

Error Parser::fail(std::string_view message) const { return fail_at(current().pos, message); }

Status Parser::expect_operator(std::string_view op) {
  if (!skip_operator(op)) return fail(fmt::format("expected '{}', got {}", op, describe_token(current())));
  return ok();
}

Status Parser::expect_kind(TokenKind kind, std::string_view what) {
  if (current().kind != kind) return fail(fmt::format("expected {}, got {}", what, describe_token(current())));
  advance();
  return ok();
}

Result<std::string> Parser::expect_name() {
  if (current().kind != TokenKind::kName) return fail(fmt::format("expected a name, got {}", describe_token(current())));
  std::string name = current().text;
  advance();
  return name;
}

Status Parser::check_depth() const {
  if (depth_ > options_.max_depth) return fail(fmt::format("nested more than {} levels deep", options_.max_depth));
  return ok();
}

Result<ExprPtr> Parser::finish(ExprPtr node) const {
  int height = 0;
  for (const auto& c : node->children) height = std::max(height, c ? c->height : 0);
  for (const auto& c : node->args) height = std::max(height, c->height);
  for (const auto& [name, c] : node->kwargs) height = std::max(height, c->height);
  if (node->star_args) height = std::max(height, node->star_args->height);
  if (node->star_kwargs) height = std::max(height, node->star_kwargs->height);
  node->height = height + 1;
  if (node->height > options_.max_depth) {
    return fail_at(node->pos, fmt::format("expression nested more than {} levels deep", options_.max_depth));
  }
  return node;
}

Result<ExprPtr> Parser::parse_expression(bool with_condition) {
  Nesting nesting(depth_);
  RF_TRY(check_depth());
  return with_condition ? parse_condition() : parse_or();
}

Result<ExprPtr> Parser::parse_condition() {
  SourcePos pos = current().pos;
  ExprPtr expr = RF_TRY(parse_or());
  while (skip_name("if")) {
    auto node = make(ExprKind::kCondition, pos);
    ExprPtr test = RF_TRY(parse_or());
    ExprPtr otherwise;
    if (skip_name("else")) {
      Nesting nesting(depth_);  // `a if b else c if d else ...` recurses
      RF_TRY(check_depth());
      otherwise = RF_TRY(parse_condition());
    }
    node->children.push_back(std::move(expr));
    node->children.push_back(std::move(test));
    node->children.push_back(std::move(otherwise));
    expr = RF_TRY(finish(std::move(node)));
    pos = current().pos;
  }
  return expr;
}

Result<ExprPtr> Parser::parse_logical(ExprKind kind, std::string_view keyword, Result<ExprPtr> (Parser::*operand)()) {
  ExprPtr left = RF_TRY((this->*operand)());
  while (at_name(keyword)) {
    auto node = make(kind, current().pos);
    advance();
    node->children.push_back(std::move(left));
    node->children.push_back(RF_TRY((this->*operand)()));
    left = RF_TRY(finish(std::move(node)));
  }
  return left;
}

Result<ExprPtr> Parser::parse_or() { return parse_logical(ExprKind::kOr, "or", &Parser::parse_and); }

Result<ExprPtr> Parser::parse_and() { return parse_logical(ExprKind::kAnd, "and", &Parser::parse_not); }

Result<ExprPtr> Parser::parse_not() {
  if (!at_name("not")) return parse_compare();
  Nesting nesting(depth_);
  RF_TRY(check_depth());
  auto node = make(ExprKind::kNot, current().pos);
  advance();
  node->children.push_back(RF_TRY(parse_not()));
  return finish(std::move(node));
}

Result<ExprPtr> Parser::parse_compare() {
  const SourcePos pos = current().pos;
  ExprPtr first = RF_TRY(parse_sum());
  auto node = make(ExprKind::kCompare, pos);
  node->children.push_back(std::move(first));
  while (true) {
    const auto it = std::find_if(std::begin(kCompareOps), std::end(kCompareOps),
                                 [&](const auto& c) { return at_operator(c.text); });
    if (it != std::end(kCompareOps)) {
      advance();
      node->compare_ops.push_back(it->op);
    } else if (skip_name("in")) {
      node->compare_ops.push_back(CompareOp::kIn);
    } else if (at_name("not") && peek().kind == TokenKind::kName && peek().text == "in") {
      advance();
      advance();
      node->compare_ops.push_back(CompareOp::kNotIn);
    } else {
      break;
    }
    node->children.push_back(RF_TRY(parse_sum()));
  }
  if (node->compare_ops.empty()) return std::move(node->children[0]);
  return finish(std::move(node));
}

Result<ExprPtr> Parser::parse_sum() {
  ExprPtr left = RF_TRY(parse_concat());
  while (at_operator("+") || at_operator("-")) {
    auto node = make(ExprKind::kBinary, current().pos);
    node->op = at_operator("+") ? BinaryOp::kAdd : BinaryOp::kSubtract;
    advance();
    node->children.push_back(std::move(left));
    node->children.push_back(RF_TRY(parse_concat()));
    left = RF_TRY(finish(std::move(node)));
  }
  return left;
}

Result<ExprPtr> Parser::parse_concat() {
  const SourcePos pos = current().pos;
  ExprPtr first = RF_TRY(parse_product());
  if (!at_operator("~")) return first;
  auto node = make(ExprKind::kConcat, pos);
  node->children.push_back(std::move(first));
  while (skip_operator("~")) node->children.push_back(RF_TRY(parse_product()));
  return finish(std::move(node));
}

Result<ExprPtr> Parser::parse_product() {
  ExprPtr left = RF_TRY(parse_power());
  while (true) {
    const auto it = std::find_if(std::begin(kProductOps), std::end(kProductOps),
                                 [&](const auto& p) { return at_operator(p.text); });
    if (it == std::end(kProductOps)) return left;
    auto node = make(ExprKind::kBinary, current().pos);
    node->op = it->op;
    advance();
    node->children.push_back(std::move(left));
    node->children.push_back(RF_TRY(parse_power()));
    left = RF_TRY(finish(std::move(node)));
  }
}

Result<ExprPtr> Parser::parse_power() {
  // Left-associative, as in jinja2: 2 ** 3 ** 2 is 64.
  ExprPtr left = RF_TRY(parse_unary(true));
  while (at_operator("**")) {
    auto node = make(ExprKind::kBinary, current().pos);
    node->op = BinaryOp::kPower;
    advance();
    node->children.push_back(std::move(left));
    node->children.push_back(RF_TRY(parse_unary(true)));
    left = RF_TRY(finish(std::move(node)));
  }
  return left;
}

Result<ExprPtr> Parser::parse_unary(bool with_filter) {
  ExprPtr node;
  if (at_operator("-") || at_operator("+")) {
    Nesting nesting(depth_);
    RF_TRY(check_depth());
    node = make(at_operator("-") ? ExprKind::kNegate : ExprKind::kPlus, current().pos);
    advance();
    node->children.push_back(RF_TRY(parse_unary(false)));
    node = RF_TRY(finish(std::move(node)));
  } else {
    node = RF_TRY(parse_primary());
  }
  node = RF_TRY(parse_postfix(std::move(node)));
  if (with_filter) node = RF_TRY(parse_filter_expr(std::move(node)));
  return node;
}

Result<ExprPtr> Parser::parse_primary() {
  const Token& token = current();
  if (token.kind == TokenKind::kName) {
    auto node = make(ExprKind::kLiteral, token.pos);
    if (token.text == "true" || token.text == "True" || token.text == "false" || token.text == "False") {
      node->literal = Value::boolean(token.text == "true" || token.text == "True");
    } else if (token.text == "none" || token.text == "None") {
      node->literal = Value::none();
    } else {
      node->kind = ExprKind::kName;
      node->name = token.text;
    }
    advance();
    return node;
  }
  if (token.kind == TokenKind::kString) {
    auto node = make(ExprKind::kLiteral, token.pos);
    std::string text;
    while (current().kind == TokenKind::kString) {
      text += current().text;
      advance();
    }
    node->literal = Value::string(std::move(text));
    return node;
  }
  if (token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat) {
    auto node = make(ExprKind::kLiteral, token.pos);
    node->literal = token.kind == TokenKind::kInteger ? Value::integer(token.integer) : Value::number(token.number);
    advance();
    return node;
  }
  if (at_operator("(")) {
    advance();
    ExprPtr node = RF_TRY(parse_tuple(true, {}, true));
    RF_TRY(expect_operator(")"));
    return node;
  }
  if (at_operator("[")) return parse_list();
  if (at_operator("{")) return parse_dict();
  return fail(fmt::format("unexpected {}", describe_token(token)));
}

Result<ExprPtr> Parser::parse_tuple(bool with_condition, std::initializer_list<std::string_view> end_names,
                                    bool explicit_parentheses) {
  const SourcePos pos = current().pos;
  auto tuple = make(ExprKind::kTuple, pos);
  bool is_tuple = false;
  auto at_end = [&] {
    return current().kind == TokenKind::kVariableEnd || current().kind == TokenKind::kBlockEnd || at_operator(")") ||
           at_any_name(end_names);
  };
  while (true) {
    if (!tuple->children.empty()) RF_TRY(expect_operator(","));
    if (at_end()) break;
    tuple->children.push_back(RF_TRY(parse_expression(with_condition)));
    if (!at_operator(",")) break;
    is_tuple = true;
  }
  if (!is_tuple) {
    if (!tuple->children.empty()) return std::move(tuple->children[0]);
    if (!explicit_parentheses) return fail(fmt::format("expected an expression, got {}", describe_token(current())));
  }
  return finish(std::move(tuple));
}

Result<ExprPtr> Parser::parse_list() {
  auto node = make(ExprKind::kList, current().pos);
  RF_TRY(expect_operator("["));
  while (!at_operator("]")) {
    if (!node->children.empty()) RF_TRY(expect_operator(","));
    if (at_operator("]")) break;
    node->children.push_back(RF_TRY(parse_expression()));
  }
  RF_TRY(expect_operator("]"));
  return finish(std::move(node));
}

Result<ExprPtr> Parser::parse_dict() {
  auto node = make(ExprKind::kDict, current().pos);
  RF_TRY(expect_operator("{"));
  while (!at_operator("}")) {
    if (!node->children.empty()) RF_TRY(expect_operator(","));
    if (at_operator("}")) break;
    node->children.push_back(RF_TRY(parse_expression()));
    RF_TRY(expect_operator(":"));
    node->children.push_back(RF_TRY(parse_expression()));
  }
  RF_TRY(expect_operator("}"));
  return finish(std::move(node));
}

Result<ExprPtr> Parser::parse_postfix(ExprPtr node) {
  while (true) {
    if (at_operator(".") || at_operator("[")) {
      node = RF_TRY(parse_subscript(std::move(node)));
    } else if (at_operator("(")) {
      node = RF_TRY(parse_call(std::move(node)));
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::parse_filter_expr(ExprPtr node) {
  while (true) {
    if (at_operator("|")) {
      node = RF_TRY(parse_filter(std::move(node), false));
    } else if (at_name("is")) {
      node = RF_TRY(parse_test(std::move(node)));
    } else if (at_operator("(")) {
      node = RF_TRY(parse_call(std::move(node)));
    } else {
      return node;
    }
  }
}

Result<ExprPtr> Parser::parse_subscript(ExprPtr node) {
  const SourcePos pos = current().pos;
  if (skip_operator(".")) {
    if (current().kind == TokenKind::kName) {
      auto attr = make(ExprKind::kGetAttr, pos);
      attr->name = current().text;
      advance();
      attr->children.push_back(std::move(node));
      return finish(std::move(attr));
    }
    if (current().kind != TokenKind::kInteger) return fail("expected a name or a number after '.'");
    auto item = make(ExprKind::kGetItem, pos);
    auto key = make(ExprKind::kLiteral, current().pos);
    key->literal = Value::integer(current().integer);
    advance();
    item->children.push_back(std::move(node));
    item->children.push_back(std::move(key));
    return finish(std::move(item));
  }
  RF_TRY(expect_operator("["));
  std::vector<ExprPtr> keys;
  while (!at_operator("]")) {
    if (!keys.empty()) RF_TRY(expect_operator(","));
    keys.push_back(RF_TRY(parse_subscribed()));
  }
  RF_TRY(expect_operator("]"));
  if (keys.empty()) return fail_at(pos, "expected a subscript expression");
  auto item = make(ExprKind::kGetItem, pos);
  item->children.push_back(std::move(node));
  if (keys.size() == 1) {
    item->children.push_back(std::move(keys[0]));
  } else {
    auto tuple = make(ExprKind::kTuple, pos);
    tuple->children = std::move(keys);
    item->children.push_back(RF_TRY(finish(std::move(tuple))));
  }
  return finish(std::move(item));
}

Result<ExprPtr> Parser::parse_subscribed() {
  const SourcePos pos = current().pos;
  ExprPtr start;
  if (!at_operator(":")) {
    start = RF_TRY(parse_expression());
    if (!at_operator(":")) return start;
  }
  advance();  // the ':'
  auto slice = make(ExprKind::kSlice, pos);
  slice->children.push_back(std::move(start));
  ExprPtr stop;
  if (!at_operator(":") && !at_operator("]") && !at_operator(",")) stop = RF_TRY(parse_expression());
  slice->children.push_back(std::move(stop));
  ExprPtr step;
  if (skip_operator(":") && !at_operator("]") && !at_operator(",")) step = RF_TRY(parse_expression());
  slice->children.push_back(std::move(step));
  return finish(std::move(slice));
}

Status Parser::parse_call_args(Expr& call) {
  const SourcePos pos = current().pos;
  RF_TRY(expect_operator("("));
  bool require_comma = false;
  auto ensure = [&](bool condition) -> Status {
    if (!condition) return fail_at(pos, "invalid syntax for function call expression");
    return ok();
  };
  while (!at_operator(")")) {
    if (require_comma) {
      RF_TRY(expect_operator(","));
      if (at_operator(")")) break;  // trailing comma
    }
    if (skip_operator("*")) {
      RF_TRY(ensure(!call.star_args && !call.star_kwargs));
      call.star_args = RF_TRY(parse_expression());
    } else if (skip_operator("**")) {
      RF_TRY(ensure(!call.star_kwargs));
      call.star_kwargs = RF_TRY(parse_expression());
    } else if (current().kind == TokenKind::kName && peek().kind == TokenKind::kOperator && peek().text == "=") {
      RF_TRY(ensure(!call.star_kwargs));
      std::string key = current().text;
      advance();
      advance();
      call.kwargs.emplace_back(std::move(key), RF_TRY(parse_expression()));
    } else {
      RF_TRY(ensure(!call.star_args && !call.star_kwargs && call.kwargs.empty()));
      call.args.push_back(RF_TRY(parse_expression()));
    }
    require_comma = true;
  }
  return expect_operator(")");
}

Result<ExprPtr> Parser::parse_call(ExprPtr node) {
  auto call = make(ExprKind::kCall, current().pos);
  call->children.push_back(std::move(node));
  RF_TRY(parse_call_args(*call));
  return finish(std::move(call));
}

Result<ExprPtr> Parser::parse_filter(ExprPtr node, bool start_inline) {
  while (at_operator("|") || start_inline) {
    if (!start_inline) advance();
    start_inline = false;
    auto filter = make(ExprKind::kFilter, current().pos);
    filter->name = RF_TRY(expect_name());
    while (skip_operator(".")) filter->name.append(".").append(RF_TRY(expect_name()));
    filter->filter = find_filter(filter->name);  // null when unknown: see check_names()
    if (at_operator("(")) RF_TRY(parse_call_args(*filter));
    filter->children.push_back(std::move(node));
    node = RF_TRY(finish(std::move(filter)));
  }
  return node;
}

Result<ExprPtr> Parser::parse_test(ExprPtr node) {
  const SourcePos pos = current().pos;
  advance();  // 'is'
  const bool negated = skip_name("not");
  auto test = make(ExprKind::kTest, current().pos);
  test->name = RF_TRY(expect_name());
  while (skip_operator(".")) test->name.append(".").append(RF_TRY(expect_name()));
  test->test = find_test(test->name);  // null when unknown: see check_names()
  const TokenKind kind = current().kind;
  if (at_operator("(")) {
    RF_TRY(parse_call_args(*test));
  } else if ((kind == TokenKind::kName || kind == TokenKind::kString || kind == TokenKind::kInteger ||
              kind == TokenKind::kFloat || at_operator("[") || at_operator("{")) &&
             !at_any_name({"else", "or", "and"})) {
    // `x is divisibleby 3`: one argument without parentheses.
    if (at_name("is")) return fail("you cannot chain multiple tests with 'is'");
    ExprPtr arg = RF_TRY(parse_primary());
    test->args.push_back(RF_TRY(parse_postfix(std::move(arg))));
  }
  test->children.push_back(std::move(node));
  ExprPtr result = RF_TRY(finish(std::move(test)));
  if (!negated) return result;
  auto negation = make(ExprKind::kNot, pos);
  negation->children.push_back(std::move(result));
  return finish(std::move(negation));
}

}  // namespace rocmforge::chat::jinja
