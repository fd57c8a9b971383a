// Statements: {% for %}, {% if %}, {% set %}, {% macro %}, {% call %},
// {% filter %}, {% with %}, {% print %}, {% break %}, {% continue %} and
// transformers' {% generation %}.
#include <utility>

#include <fmt/format.h>

#include "chat/jinja/parser.h"

namespace rocmforge::chat::jinja {
namespace {

Stmt make_stmt(StmtKind kind, SourcePos pos) {
  Stmt s;
  s.kind = kind;
  s.pos = pos;
  return s;
}

bool is_constant_name(std::string_view name) {
  return name == "true" || name == "false" || name == "none" || name == "True" || name == "False" || name == "None";
}

void note_names(const Expr* e, MacroDef& macro) {
  if (e == nullptr) return;
  if (e->kind == ExprKind::kName) {
    macro.uses_varargs = macro.uses_varargs || e->name == "varargs";
    macro.uses_kwargs = macro.uses_kwargs || e->name == "kwargs";
    macro.uses_caller = macro.uses_caller || e->name == "caller";
  }
  for (const auto& c : e->children) note_names(c.get(), macro);
  for (const auto& c : e->args) note_names(c.get(), macro);
  for (const auto& [name, c] : e->kwargs) note_names(c.get(), macro);
  note_names(e->star_args.get(), macro);
  note_names(e->star_kwargs.get(), macro);
}

// Which of varargs, kwargs and caller a macro body reads.
void note_names(const Body& body, MacroDef& macro) {
  for (const Stmt& s : body) {
    note_names(s.expr.get(), macro);
    note_names(s.condition.get(), macro);
    for (const IfBranch& b : s.branches) {
      note_names(b.test.get(), macro);
      note_names(b.body, macro);
    }
    for (const auto& [name, value] : s.bindings) note_names(value.get(), macro);
    note_names(s.body, macro);
    note_names(s.else_body, macro);
  }
}

// jinja2 rejects an unknown filter or test when it compiles the template,
// except inside an if statement or an inline if, where it fails only if it
// runs (so `{% if x is string %}{{ x|from_json }}{% endif %}` renders while
// x is not a string). Loop, macro and block bodies are not "inside" their
// enclosing if: they are frames of their own in jinja2's compiler.
Status check_names(const Expr* e, bool in_if) {
  if (e == nullptr) return ok();
  const bool soft = in_if || e->kind == ExprKind::kCondition;
  if (!soft && e->kind == ExprKind::kFilter && e->filter == nullptr) {
    return RF_ERROR(kParse, "{}: no filter named '{}'", describe(e->pos), e->name);
  }
  if (!soft && e->kind == ExprKind::kTest && e->test == nullptr) {
    return RF_ERROR(kParse, "{}: no test named '{}'", describe(e->pos), e->name);
  }
  for (const auto& c : e->children) RF_TRY(check_names(c.get(), soft));
  for (const auto& c : e->args) RF_TRY(check_names(c.get(), soft));
  for (const auto& [name, c] : e->kwargs) RF_TRY(check_names(c.get(), soft));
  RF_TRY(check_names(e->star_args.get(), soft));
  return check_names(e->star_kwargs.get(), soft);
}

Status check_names(const Body& body, bool in_if) {
  for (const Stmt& s : body) {
    const bool if_scope = in_if || s.kind == StmtKind::kIf;
    RF_TRY(check_names(s.expr.get(), if_scope));
    RF_TRY(check_names(s.condition.get(), false));
    for (const IfBranch& b : s.branches) {
      RF_TRY(check_names(b.test.get(), true));
      RF_TRY(check_names(b.body, true));
    }
    for (const auto& [name, value] : s.bindings) RF_TRY(check_names(value.get(), in_if));
    if (s.macro) {
      for (const auto& d : s.macro->defaults) RF_TRY(check_names(d.get(), false));
      RF_TRY(check_names(s.macro->body, false));
    }
    RF_TRY(check_names(s.body, false));
    RF_TRY(check_names(s.else_body, s.kind == StmtKind::kIf));
  }
  return ok();
}

}  // namespace

Result<Program> parse(std::vector<Token> tokens, const ParseOptions& options) {
  return Parser(std::move(tokens), options).parse_program();
}

Result<Program> Parser::parse_program() {
  Program program;
  program.body = RF_TRY(subparse({}));
  RF_TRY(check_names(program.body, false));
  return program;
}

Result<Body> Parser::subparse(std::initializer_list<std::string_view> end_tags) {
  Body body;
  while (current().kind != TokenKind::kEnd) {
    const Token& token = current();
    if (token.kind == TokenKind::kText) {
      Stmt text = make_stmt(StmtKind::kText, token.pos);
      text.text = token.text;
      body.push_back(std::move(text));
      advance();
    } else if (token.kind == TokenKind::kVariableBegin) {
      Stmt output = make_stmt(StmtKind::kOutput, token.pos);
      advance();
      output.expr = RF_TRY(parse_tuple(true, {}, false));
      RF_TRY(expect_kind(TokenKind::kVariableEnd, "'}}'"));
      body.push_back(std::move(output));
    } else if (token.kind == TokenKind::kBlockBegin) {
      advance();
      if (at_any_name(end_tags)) return body;
      for (Stmt& s : RF_TRY(parse_statement())) body.push_back(std::move(s));
      RF_TRY(expect_kind(TokenKind::kBlockEnd, "'%}'"));
    } else {
      return fail("unexpected token");
    }
  }
  if (end_tags.size() > 0) {
    std::string expected;
    for (std::string_view tag : end_tags) expected += fmt::format("{}'{}'", expected.empty() ? "" : " or ", tag);
    return fail(fmt::format("unexpected end of template, expected {}", expected));
  }
  return body;
}

Result<Body> Parser::parse_body(std::initializer_list<std::string_view> end_tags, bool drop_end_tag) {
  skip_operator(":");
  RF_TRY(expect_kind(TokenKind::kBlockEnd, "'%}'"));
  Body body = RF_TRY(subparse(end_tags));
  if (drop_end_tag) advance();
  return body;
}

Result<Body> Parser::parse_statement() {
  Nesting nesting(depth_);
  RF_TRY(check_depth());
  const Token& token = current();
  if (token.kind != TokenKind::kName) return fail("expected a tag name");
  const SourcePos pos = token.pos;
  const std::string tag = token.text;
  Body out;
  if (tag == "for") {
    out.push_back(RF_TRY(parse_for(pos)));
  } else if (tag == "if") {
    out.push_back(RF_TRY(parse_if(pos)));
  } else if (tag == "set") {
    out.push_back(RF_TRY(parse_set(pos)));
  } else if (tag == "macro") {
    out.push_back(RF_TRY(parse_macro(pos)));
  } else if (tag == "call") {
    out.push_back(RF_TRY(parse_call_block(pos)));
  } else if (tag == "filter") {
    out.push_back(RF_TRY(parse_filter_block(pos)));
  } else if (tag == "with") {
    out.push_back(RF_TRY(parse_with(pos)));
  } else if (tag == "print") {
    return parse_print(pos);
  } else if (tag == "break" || tag == "continue") {
    if (loop_depth_ == 0) return fail(fmt::format("'{}' outside of a loop", tag));
    advance();
    out.push_back(make_stmt(tag == "break" ? StmtKind::kBreak : StmtKind::kContinue, pos));
  } else if (tag == "generation") {
    // transformers' AssistantTracker tag: marks the assistant's text; renders
    // its body as a call block does, in a scope of its own.
    Stmt scope = make_stmt(StmtKind::kScope, pos);
    advance();
    scope.body = RF_TRY(parse_frame_body("endgeneration"));
    out.push_back(std::move(scope));
  } else if (tag == "block" || tag == "extends" || tag == "include" || tag == "import" || tag == "from" ||
             tag == "autoescape") {
    return RF_ERROR(kUnsupported, "{}: '{{% {} %}}' is not supported in chat templates", describe(pos), tag);
  } else {
    return fail(fmt::format("unknown tag '{}'", tag));
  }
  return out;
}

Result<Target> Parser::parse_target(bool allow_attribute) {
  Target target;
  const bool parenthesized = skip_operator("(");
  while (true) {
    const SourcePos pos = current().pos;
    std::string name = RF_TRY(expect_name());
    if (is_constant_name(name)) return fail_at(pos, fmt::format("cannot assign to constant '{}'", name));
    if (at_operator(".")) {
      if (!allow_attribute || target.unpack || !target.names.empty()) return fail("expected ',' or '='");
      advance();
      target.attribute = RF_TRY(expect_name());
      target.names.push_back(std::move(name));
      break;
    }
    target.names.push_back(std::move(name));
    if (!skip_operator(",")) break;
    target.unpack = true;
    if (current().kind != TokenKind::kName || at_name("in")) break;
  }
  if (parenthesized) RF_TRY(expect_operator(")"));
  return target;
}

Result<Stmt> Parser::parse_for(SourcePos pos) {
  Stmt loop = make_stmt(StmtKind::kFor, pos);
  advance();
  loop.target = RF_TRY(parse_target(false));
  if (!skip_name("in")) return fail("expected 'in'");
  loop.expr = RF_TRY(parse_tuple(false, {"recursive"}, false));
  if (skip_name("if")) loop.condition = RF_TRY(parse_expression());
  if (at_name("recursive")) return RF_ERROR(kUnsupported, "{}: recursive loops are not supported", describe(pos));
  ++loop_depth_;
  auto body = parse_body({"endfor", "else"}, false);
  --loop_depth_;
  loop.body = RF_TRY(std::move(body));
  if (skip_name("else")) loop.else_body = RF_TRY(parse_body({"endfor"}, true));
  else advance();  // 'endfor'
  return loop;
}

Result<Stmt> Parser::parse_if(SourcePos pos) {
  Stmt stmt = make_stmt(StmtKind::kIf, pos);
  advance();
  while (true) {
    IfBranch branch;
    branch.test = RF_TRY(parse_tuple(false, {}, false));
    branch.body = RF_TRY(parse_body({"elif", "else", "endif"}, false));
    stmt.branches.push_back(std::move(branch));
    if (skip_name("elif")) continue;
    if (skip_name("else")) stmt.else_body = RF_TRY(parse_body({"endif"}, true));
    else advance();  // 'endif'
    return stmt;
  }
}

Result<Stmt> Parser::parse_set(SourcePos pos) {
  Stmt stmt = make_stmt(StmtKind::kSet, pos);
  advance();
  stmt.target = RF_TRY(parse_target(true));
  if (skip_operator("=")) {
    stmt.expr = RF_TRY(parse_tuple(true, {}, false));
    return stmt;
  }
  stmt.kind = StmtKind::kSetBlock;
  if (at_operator("|")) stmt.expr = RF_TRY(parse_filter(nullptr, false));
  stmt.body = RF_TRY(parse_body({"endset"}, true));
  return stmt;
}

Status Parser::parse_signature(MacroDef& macro) {
  RF_TRY(expect_operator("("));
  while (!at_operator(")")) {
    if (!macro.params.empty()) RF_TRY(expect_operator(","));
    const SourcePos pos = current().pos;
    std::string name = RF_TRY(expect_name());
    if (is_constant_name(name)) return fail_at(pos, fmt::format("cannot assign to constant '{}'", name));
    macro.params.push_back(std::move(name));
    if (skip_operator("=")) {
      macro.defaults.push_back(RF_TRY(parse_expression()));
    } else if (!macro.defaults.empty()) {
      return fail_at(pos, "non-default argument follows default argument");
    }
  }
  return expect_operator(")");
}

Result<Body> Parser::parse_frame_body(std::string_view end_tag) {
  const int outer_loops = std::exchange(loop_depth_, 0);  // not inside the loop around it
  auto body = parse_body({end_tag}, true);
  loop_depth_ = outer_loops;
  return body;
}

Status Parser::parse_macro_body(MacroDef& macro, std::string_view end_tag) {
  macro.body = RF_TRY(parse_frame_body(end_tag));
  note_names(macro.body, macro);
  return ok();
}

Result<Stmt> Parser::parse_macro(SourcePos pos) {
  Stmt stmt = make_stmt(StmtKind::kMacro, pos);
  advance();
  auto macro = std::make_shared<MacroDef>();
  macro->name = RF_TRY(expect_name());
  RF_TRY(parse_signature(*macro));
  RF_TRY(parse_macro_body(*macro, "endmacro"));
  stmt.macro = std::move(macro);
  return stmt;
}

Result<Stmt> Parser::parse_call_block(SourcePos pos) {
  Stmt stmt = make_stmt(StmtKind::kCallBlock, pos);
  advance();
  auto caller = std::make_shared<MacroDef>();
  caller->name = "caller";
  if (at_operator("(")) RF_TRY(parse_signature(*caller));
  stmt.expr = RF_TRY(parse_expression());
  if (stmt.expr->kind != ExprKind::kCall) return fail_at(stmt.expr->pos, "expected a call");
  RF_TRY(parse_macro_body(*caller, "endcall"));
  stmt.macro = std::move(caller);
  return stmt;
}

Result<Stmt> Parser::parse_filter_block(SourcePos pos) {
  Stmt stmt = make_stmt(StmtKind::kFilterBlock, pos);
  advance();
  stmt.expr = RF_TRY(parse_filter(nullptr, true));
  stmt.body = RF_TRY(parse_body({"endfilter"}, true));
  return stmt;
}

Result<Stmt> Parser::parse_with(SourcePos pos) {
  Stmt stmt = make_stmt(StmtKind::kWith, pos);
  advance();
  while (current().kind != TokenKind::kBlockEnd) {
    if (!stmt.bindings.empty()) RF_TRY(expect_operator(","));
    std::string name = RF_TRY(expect_name());
    RF_TRY(expect_operator("="));
    stmt.bindings.emplace_back(std::move(name), RF_TRY(parse_expression()));
  }
  stmt.body = RF_TRY(parse_body({"endwith"}, true));
  return stmt;
}

Result<Body> Parser::parse_print(SourcePos pos) {
  advance();
  Body out;
  while (current().kind != TokenKind::kBlockEnd) {
    if (!out.empty()) RF_TRY(expect_operator(","));
    Stmt output = make_stmt(StmtKind::kOutput, pos);
    output.expr = RF_TRY(parse_expression());
    out.push_back(std::move(output));
  }
  return out;
}

}  // namespace rocmforge::chat::jinja
