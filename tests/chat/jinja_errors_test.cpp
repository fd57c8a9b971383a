// Errors: a template that does not parse is one kParse error with its line
// and column; a failure while rendering names the construct and where it is;
// raise_exception's message is the whole message.
#include <gtest/gtest.h>

#include <string>

#include "chat/jinja/template.h"

namespace rocmforge::chat::jinja {
namespace {

Error parse_error(std::string_view source) {
  auto t = Template::parse(source);
  EXPECT_FALSE(t.has_value()) << source;
  return t ? Error(ErrorCode::kInternal, "parsed") : std::move(t).error();
}

Error render_error(std::string_view source, const nlohmann::ordered_json& variables = nlohmann::ordered_json::object()) {
  auto t = Template::parse(source);
  if (!t) return std::move(t).error();
  auto out = t->render(variables);
  EXPECT_FALSE(out.has_value()) << source << " rendered " << out.value_or("");
  return out ? Error(ErrorCode::kInternal, "rendered") : std::move(out).error();
}

TEST(JinjaErrors, ParseErrorsGiveLineAndColumn) {
  const Error e = parse_error("line one\n{{ 1 + }}");
  EXPECT_EQ(e.code(), ErrorCode::kParse);
  EXPECT_EQ(e.message(), "line 2, column 8: unexpected '}}'");

  EXPECT_EQ(parse_error("{% if x %}\n  a\n").message(),
            "line 2, column 4: unexpected end of template, expected 'elif' or 'else' or 'endif'");
  EXPECT_EQ(parse_error("{{ x | nosuch }}").message(), "line 1, column 8: no filter named 'nosuch'");
  EXPECT_EQ(parse_error("{{ x is nosuch }}").message(), "line 1, column 9: no test named 'nosuch'");
  EXPECT_EQ(parse_error("ab\n\tc {% endfor %}").message(), "line 2, column 7: unknown tag 'endfor'");
  EXPECT_EQ(parse_error("{% do x %}").message(), "line 1, column 4: unknown tag 'do'");
  EXPECT_EQ(parse_error("{{ 'open }}").message(), "line 1, column 4: unterminated string literal");
  EXPECT_EQ(parse_error("{{ (1 }}").message(), "line 1, column 7: unexpected '}', expected ')'");
  EXPECT_EQ(parse_error("{# never closed").message(), "line 1, column 1: missing end of comment tag");
  EXPECT_EQ(parse_error("{% raw %}never closed").message(), "line 1, column 10: missing end of raw directive");
  EXPECT_EQ(parse_error("{% break %}").message(), "line 1, column 4: 'break' outside of a loop");
  EXPECT_EQ(parse_error("{% set none = 1 %}").message(), "line 1, column 8: cannot assign to constant 'none'");
  EXPECT_EQ(parse_error("{% macro m(a=1, b) %}{% endmacro %}").message(),
            "line 1, column 17: non-default argument follows default argument");
  EXPECT_EQ(parse_error("{{ a ! b }}").message(), "line 1, column 6: unexpected character '!'");
  EXPECT_EQ(parse_error("{{ x is not defined is defined }}").message(),
            "line 1, column 21: you cannot chain multiple tests with 'is'");
}

TEST(JinjaErrors, ColumnsCountCharactersNotBytes) {
  EXPECT_EQ(parse_error("caf\xC3\xA9 {{ ) }}").message(), "line 1, column 9: unexpected ')'");
}

TEST(JinjaErrors, UnsupportedConstructsSaySo) {
  for (const char* source : {"{% include 'x' %}", "{% extends 'x' %}", "{% block b %}{% endblock %}",
                             "{% import 'x' as y %}", "{% for x in y recursive %}{% endfor %}"}) {
    const Error e = parse_error(source);
    EXPECT_EQ(e.code(), ErrorCode::kUnsupported) << source << ": " << e.message();
  }
  const Error filter = render_error("{{ [1, 2]|random }}");
  EXPECT_EQ(filter.code(), ErrorCode::kUnsupported);
  EXPECT_EQ(filter.message(), "line 1, column 11: filter 'random' is not supported");
}

TEST(JinjaErrors, RuntimeErrorsNameTheConstructAndPosition) {
  EXPECT_EQ(render_error("{{ 'a' + 1 }}").message(), "line 1, column 8: can only concatenate str (not \"int\") to str");
  EXPECT_EQ(render_error("\n  {{ x.y }}").message(), "line 2, column 7: 'x' is undefined");
  EXPECT_EQ(render_error("{{ 'abc'() }}").message(), "line 1, column 9: 'str' object is not callable");
  EXPECT_EQ(render_error("{{ [1]|tojson(indent='x', bogus=1) }}").message(),
            "line 1, column 8: filter 'tojson': tojson() got an unexpected keyword argument 'bogus'");
  EXPECT_EQ(render_error("{{ range(1, 2, 0) }}").message(), "line 1, column 9: range(): range() arg 3 must not be zero");
  EXPECT_EQ(render_error("{{ 1 is divisibleby 0 }}").message(),
            "line 1, column 9: test 'divisibleby': integer division or modulo by zero");
  EXPECT_EQ(render_error("{% for a, b in [[1]] %}{% endfor %}").message(),
            "line 1, column 4: not enough values to unpack (expected 2, got 1)");
  EXPECT_EQ(render_error("{% set x = 1 %}{% set x.y = 2 %}").message(),
            "line 1, column 19: cannot assign attribute on non-namespace object 'x'");
  EXPECT_EQ(render_error("{{ [1, 2].append(3) }}").message(),
            "line 1, column 17: list.append(): access to 'list.append' is unsafe: templates cannot modify their data");
  EXPECT_EQ(render_error("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}").message(),
            "macro 'm' takes not more than 1 argument(s)");
}

TEST(JinjaErrors, RaiseExceptionCarriesTheTemplatesMessage) {
  const Error e = render_error("{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}",
                               {{"messages", {{{"role", "system"}}}}});
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message(), "System role not supported");
}

TEST(JinjaErrors, UndefinedIsAnErrorOnlyWhenUsed) {
  auto t = Template::parse("[{{ missing }}][{{ missing|default('d') }}][{{ d.nokey is defined }}][{{ missing ~ 1 }}]");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->render({{"d", nlohmann::ordered_json::object()}}).value_or("error"), "[][d][False][1]");
  EXPECT_EQ(render_error("{{ missing + 1 }}").message(), "line 1, column 12: 'missing' is undefined");
  EXPECT_EQ(render_error("{{ d.nokey.deeper }}", {{"d", nlohmann::ordered_json::object()}}).message(),
            "line 1, column 11: 'dict object' has no attribute 'nokey'");
}

}  // namespace
}  // namespace rocmforge::chat::jinja
