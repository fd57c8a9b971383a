// Hostile templates and inputs: deep nesting, endless recursion, huge loops
// and outputs. Each must end quickly with an error (kParse or kCapacity),
// never crash, overflow the stack or run away.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "chat/jinja/template.h"

namespace rocmforge::chat::jinja {
namespace {

std::string repeat(std::string_view s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

Result<std::string> render(std::string_view source, const RenderOptions& options = {},
                           const nlohmann::ordered_json& variables = nlohmann::ordered_json::object()) {
  auto t = Template::parse(source);
  if (!t) return std::move(t).error();
  return t->render(variables, options);
}

// The code of `r`'s error, failing the test if it succeeded.
ErrorCode error_code(const Result<std::string>& r) {
  EXPECT_FALSE(r.has_value()) << r.value_or("");
  return r ? ErrorCode::kInternal : r.error().code();
}

class JinjaLimits : public ::testing::Test {
 protected:
  void SetUp() override { start_ = std::chrono::steady_clock::now(); }
  void TearDown() override {
    EXPECT_LT(std::chrono::steady_clock::now() - start_, std::chrono::seconds(5)) << "limits must stop work quickly";
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

TEST_F(JinjaLimits, HundredThousandOpenParenthesesIsAnError) {
  EXPECT_EQ(error_code(render("{{ " + repeat("(", 100000) + " }}")), ErrorCode::kParse);
}

TEST_F(JinjaLimits, DeeplyNestedButBalancedExpressionsAreErrors) {
  EXPECT_EQ(error_code(render("{{ " + repeat("(", 100000) + "1" + repeat(")", 100000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ " + repeat("[", 100000) + repeat("]", 100000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ " + repeat("not ", 100000) + "x }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ " + repeat("-", 100000) + "1 }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ 1" + repeat(" + 1", 100000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ x" + repeat("|trim", 100000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ x" + repeat(".a", 100000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ f" + repeat("()", 100000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render("{{ 1" + repeat(" if x else 1", 50000) + " }}")), ErrorCode::kParse);
  EXPECT_EQ(error_code(render(repeat("{% if true %}", 40000) + repeat("{% endif %}", 40000))), ErrorCode::kParse);
}

TEST_F(JinjaLimits, ModerateNestingStillWorks) {
  EXPECT_EQ(render("{{ " + repeat("(", 40) + "1" + repeat(")", 40) + " }}").value_or("error"), "1");
  EXPECT_EQ(render(repeat("{% if true %}", 40) + "x" + repeat("{% endif %}", 40)).value_or("error"), "x");
  EXPECT_EQ(render("{{ 0" + repeat(" + 1", 100) + " }}").value_or("error"), "100");
}

TEST_F(JinjaLimits, EndlessRecursionStopsAtTheCallDepth) {
  const auto r = render("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}");
  EXPECT_EQ(error_code(r), ErrorCode::kCapacity);
  if (!r) {
    EXPECT_NE(r.error().message().find("macros nested more than 64 calls deep"), std::string::npos);
  }
}

TEST_F(JinjaLimits, ExponentialWorkStopsAtTheStepLimit) {
  // Each call makes two: 2^60 calls unless something stops it.
  RenderOptions options;
  options.limits.max_steps = 2'000'000;
  EXPECT_EQ(error_code(render("{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
                              "{{ f(60) }}",
                              options)),
            ErrorCode::kCapacity);
}

TEST_F(JinjaLimits, LoopIterationsAreBounded) {
  RenderOptions options;
  options.limits.max_loop_iterations = 10000;
  const auto r = render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", options);
  EXPECT_EQ(error_code(r), ErrorCode::kCapacity);
  EXPECT_EQ(render("{% for i in range(50) %}{% for j in range(50) %}{% endfor %}{% endfor %}ok", options)
                .value_or("error"),
            "ok");
  EXPECT_EQ(error_code(render("{{ range(100001)|length }}")), ErrorCode::kCapacity);
}

TEST_F(JinjaLimits, OutputSizeIsBounded) {
  RenderOptions options;
  options.limits.max_output_bytes = 1000;
  EXPECT_EQ(error_code(render("{% for i in range(2000) %}x{% endfor %}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ 'x' * 100000000000 }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ ['x'] * 100000000000 }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{% set s = 'x' * 900 %}{{ s ~ s }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ ('x' * 900).replace('x', 'yy') }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ ('x' * 900)|replace('x', 'yy') }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ ('\n' * 900)|indent(1000, blank=true) }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ ['x' * 900] * 900 }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(error_code(render("{{ (['x' * 900] * 900)|join }}", options)), ErrorCode::kCapacity);
  EXPECT_EQ(render("{{ 'x' * 1000 }}", options).value_or("error").size(), 1000u);
}

TEST_F(JinjaLimits, ValuesCannotNestWithoutBound) {
  const auto r = render("{% set ns = namespace(x=[]) %}{% for i in range(100000) %}{% set ns.x = [ns.x] %}{% endfor %}");
  EXPECT_EQ(error_code(r), ErrorCode::kCapacity);
  // A namespace holding itself prints without recursing forever.
  const auto self = render("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}");
  ASSERT_TRUE(self.has_value()) << self.error().message();
  EXPECT_NE(self->find("..."), std::string::npos);
}

TEST_F(JinjaLimits, DeepJsonInputIsRejected) {
  // Deeper than kMaxValueDepth (nlohmann's own copies recurse, so not far deeper).
  nlohmann::ordered_json variables = nlohmann::ordered_json::object();
  nlohmann::ordered_json& deep = variables["x"] = 1;
  for (int i = 0; i < 1000; ++i) deep = nlohmann::ordered_json::array({std::move(deep)});
  const auto r = render("{{ x|tojson }}", {}, variables);
  EXPECT_EQ(error_code(r), ErrorCode::kInvalidArgument);
}

TEST_F(JinjaLimits, LargeSourceIsRejected) {
  TemplateOptions options;
  options.max_source_bytes = 1000;
  const auto t = Template::parse(repeat("x", 1001), options);
  ASSERT_FALSE(t.has_value());
  EXPECT_EQ(t.error().code(), ErrorCode::kCapacity);
}

TEST_F(JinjaLimits, IntegerOverflowIsAnErrorNotAWrongNumber) {
  EXPECT_EQ(error_code(render("{{ 9223372036854775807 + 1 }}")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code(render("{{ 2 ** 64 }}")), ErrorCode::kInvalidArgument);
  EXPECT_EQ(error_code(render("{{ 99999999999999999999 }}")), ErrorCode::kCapacity);
}

}  // namespace
}  // namespace rocmforge::chat::jinja
