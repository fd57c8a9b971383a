// Small templates (tools/chat_refs/snippets.json) rendered by our interpreter
// and compared with what Python's jinja2 rendered for them
// (tests/data/templates/snippet_refs.json, written by render_refs.py):
// whitespace control, literals, precedence, slicing, scoping, loops,
// namespaces, macros, filters, tests, methods, undefined values and errors.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "chat/jinja/template.h"
#include "test_support.h"

namespace rocmforge::chat::jinja {
namespace {

using chat::testing::fixed_clock_options;
using chat::testing::read_data_json;

// Where we print something else than Python, on purpose: the expected output
// here, or "" when we fail instead.
const std::map<std::string, std::string> kKnownDifferences = {
    // range() is a list here, not a range object.
    {"{{ range(3) }} {{ range(1, 4) }} {{ range(10, 0, -3) }} {{ range(0) }}", "[0, 1, 2] [1, 2, 3] [10, 7, 4, 1] []"},
    // dict views print as lists.
    {"{{ d.items() }} {{ d.keys() }} {{ d.values() }} {{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 0) }}",
     "[('a', 1), ('b', 2)] ['a', 'b'] [1, 2] 1 None 0"},
    // Integers are 64-bit: overflow is an error, not a big number.
    {"{{ 9999999999 * 9999999999 }}", ""},
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string text_or_error(const Result<std::string>& r) { return r ? *r : "<error: " + r.error().message() + ">"; }

TEST(JinjaSnippets, MatchJinja2) {
  const auto refs = read_data_json("templates/snippet_refs.json");
  int compared = 0;
  for (const auto& snippet : refs["snippets"]) {
    const std::string source = snippet["template"];
    SCOPED_TRACE("template: " + source);
    const auto parsed = Template::parse(source);
    const auto known = kKnownDifferences.find(source);
    const bool python_failed = snippet.contains("error");
    const std::string python_error = python_failed ? snippet["error"].get<std::string>() : "";
    if (starts_with(python_error, "syntax:") || starts_with(python_error, "SyntaxError:")) {
      EXPECT_FALSE(parsed.has_value()) << "jinja2: " << python_error;
      if (!parsed) {
        EXPECT_EQ(parsed.error().code(), ErrorCode::kParse) << parsed.error().message();
      }
      ++compared;
      continue;
    }
    if (!parsed) {
      ADD_FAILURE() << parsed.error().message();
      continue;
    }
    const auto rendered = parsed->render(snippet["variables"], fixed_clock_options());
    if (known != kKnownDifferences.end()) {
      if (known->second.empty()) {
        EXPECT_FALSE(rendered.has_value());
      } else {
        EXPECT_EQ(text_or_error(rendered), known->second);
      }
      continue;
    }
    ++compared;
    if (python_failed) {
      EXPECT_FALSE(rendered.has_value()) << "jinja2: " << python_error << "\nours: " << rendered.value_or("");
      if (!rendered && starts_with(python_error, "TemplateError: ")) {
        // raise_exception: the template's message is the whole message.
        EXPECT_EQ(rendered.error().message(), python_error.substr(15));
        EXPECT_EQ(rendered.error().code(), ErrorCode::kInvalidArgument);
      }
      continue;
    }
    EXPECT_EQ(text_or_error(rendered), snippet["output"].get<std::string>());
  }
  EXPECT_GT(compared, 200);
}

}  // namespace
}  // namespace rocmforge::chat::jinja
