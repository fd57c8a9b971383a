// Builds the Program of a template from its tokens, with jinja2's grammar
// and operator precedence (loosest first): `x if c else y`, `or`, `and`,
// `not`, comparisons and `in`, `+ -`, `~`, `* / // %`, `**`, unary `- +`,
// then postfix `.attr`, `[key]`, `[a:b:c]`, calls, `| filter` and `is test`
// (so `a + b | f` filters b, and `-x | f` filters -x).
//
// Nesting is bounded (ParseOptions::max_depth): deeply nested input is a
// kParse error, never a stack overflow. Unknown filters, tests and tags are
// kParse errors here, as jinja2 reports them when compiling.
#pragma once

#include <algorithm>
#include <initializer_list>
#include <string_view>
#include <vector>

#include "chat/jinja/ast.h"
#include "chat/jinja/lexer.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

struct ParseOptions {
  // Brackets, unary operators, statements inside statements, and chains
  // such as `a + b + c` or `x|f|g` each count one level.
  int max_depth = 128;
};

Result<Program> parse(std::vector<Token> tokens, const ParseOptions& options);

class Parser {
 public:
  Parser(std::vector<Token> tokens, const ParseOptions& options) : tokens_(std::move(tokens)), options_(options) {}

  Result<Program> parse_program();

 private:
  // Counts one level of nesting for as long as it lives.
  class Nesting {
   public:
    explicit Nesting(int& depth) : depth_(depth) { ++depth_; }
    ~Nesting() { --depth_; }
    Nesting(const Nesting&) = delete;
    Nesting& operator=(const Nesting&) = delete;

   private:
    int& depth_;
  };

  const Token& current() const { return tokens_[index_]; }
  const Token& peek() const { return tokens_[std::min(index_ + 1, tokens_.size() - 1)]; }
  void advance() {
    if (index_ + 1 < tokens_.size()) ++index_;
  }
  bool at_operator(std::string_view op) const;
  bool at_name(std::string_view name) const;
  bool at_any_name(std::initializer_list<std::string_view> names) const;
  bool skip_operator(std::string_view op);
  bool skip_name(std::string_view name);
  Status expect_operator(std::string_view op);
  Status expect_kind(TokenKind kind, std::string_view what);
  Result<std::string> expect_name();
  Error fail(std::string_view message) const;
  Error fail_at(SourcePos pos, std::string_view message) const;
  Status check_depth() const;
  // A node's height: 1 + its tallest child; too tall is a kParse error.
  Result<ExprPtr> finish(ExprPtr node) const;

  // Statements (parse_statements.cpp).
  Result<Body> subparse(std::initializer_list<std::string_view> end_tags);
  Result<Body> parse_body(std::initializer_list<std::string_view> end_tags, bool drop_end_tag);
  Result<Body> parse_statement();
  Result<Stmt> parse_for(SourcePos pos);
  Result<Stmt> parse_if(SourcePos pos);
  Result<Stmt> parse_set(SourcePos pos);
  Result<Stmt> parse_macro(SourcePos pos);
  Result<Stmt> parse_call_block(SourcePos pos);
  Result<Stmt> parse_filter_block(SourcePos pos);
  Result<Stmt> parse_with(SourcePos pos);
  Result<Body> parse_print(SourcePos pos);
  Result<Target> parse_target(bool allow_attribute);
  Status parse_signature(MacroDef& macro);
  // A body that runs as a function of its own (a macro's, a call block's,
  // {% generation %}'s), up to `end_tag`: break and continue do not reach
  // a loop around it.
  Result<Body> parse_frame_body(std::string_view end_tag);
  Status parse_macro_body(MacroDef& macro, std::string_view end_tag);

  // Expressions (parse_expressions.cpp).
  Result<ExprPtr> parse_expression(bool with_condition = true);
  Result<ExprPtr> parse_condition();
  // `a or b or c` / `a and b`, left-associative over `operand`.
  Result<ExprPtr> parse_logical(ExprKind kind, std::string_view keyword, Result<ExprPtr> (Parser::*operand)());
  Result<ExprPtr> parse_or();
  Result<ExprPtr> parse_and();
  Result<ExprPtr> parse_not();
  Result<ExprPtr> parse_compare();
  Result<ExprPtr> parse_sum();
  Result<ExprPtr> parse_concat();
  Result<ExprPtr> parse_product();
  Result<ExprPtr> parse_power();
  Result<ExprPtr> parse_unary(bool with_filter);
  Result<ExprPtr> parse_primary();
  Result<ExprPtr> parse_tuple(bool with_condition, std::initializer_list<std::string_view> end_names,
                              bool explicit_parentheses);
  Result<ExprPtr> parse_list();
  Result<ExprPtr> parse_dict();
  Result<ExprPtr> parse_postfix(ExprPtr node);
  Result<ExprPtr> parse_filter_expr(ExprPtr node);
  Result<ExprPtr> parse_subscript(ExprPtr node);
  Result<ExprPtr> parse_subscribed();
  Status parse_call_args(Expr& call);
  Result<ExprPtr> parse_call(ExprPtr node);
  Result<ExprPtr> parse_filter(ExprPtr node, bool start_inline);
  Result<ExprPtr> parse_test(ExprPtr node);

  std::vector<Token> tokens_;
  ParseOptions options_;
  size_t index_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;  // break/continue are valid only inside a for loop
};

}  // namespace rocmforge::chat::jinja
