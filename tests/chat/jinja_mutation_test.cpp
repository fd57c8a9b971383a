// Random edits of the real templates (inserted tag and operator fragments,
// deleted and repeated spans): whatever comes out, parsing and rendering end
// with a result or an error, quickly, never with a crash or an exception.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "chat/chat_template.h"
#include "test_support.h"
#include "testing/test_paths.h"

namespace rocmforge::chat {
namespace {

const char* const kFragments[] = {
    "{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "+%}", "(", ")", "[", "]", "{", "}", "'", "\"", "|", ".",
    ",", ":", "~", "*", "**", "//", "%", " if ", " else ", " for x in ", " endfor ", " endif ", " not ", " and ",
    " is ", " set ", " macro m() ", " endmacro ", " loop.", " raw ", " endraw ", "\n", " ", "x", "1", "1.5", "\\",
    "\xC3\xA9", "\xFF", "|tojson", "|trim", ".split(", "namespace(", "range(9)", "m()", " recursive ", " in ",
};

std::vector<std::string> fixture_sources() {
  std::vector<std::string> sources;
  for (const auto& entry : std::filesystem::directory_iterator(rocmforge::testing::data_path("templates"))) {
    if (entry.path().extension() == ".jinja") {
      sources.push_back(testing::read_data_text("templates/" + entry.path().filename().string()));
    }
  }
  return sources;
}

std::string mutate(std::string text, std::mt19937& rng) {
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int e = 0; e < edits; ++e) {
    const size_t at = std::uniform_int_distribution<size_t>(0, text.size())(rng);
    const size_t span = std::min<size_t>(std::uniform_int_distribution<size_t>(0, 40)(rng), text.size() - at);
    switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
      case 0:
        text.insert(at, kFragments[std::uniform_int_distribution<size_t>(0, std::size(kFragments) - 1)(rng)]);
        break;
      case 1:
        text.erase(at, span);
        break;
      default:
        text.insert(at, text.substr(at, span));
        break;
    }
  }
  return text;
}

TEST(JinjaMutations, EndInAResultOrAnError) {
  const std::vector<std::string> sources = fixture_sources();
  ASSERT_GT(sources.size(), 20u);
  const auto refs = testing::read_data_json("templates/refs.json");
  ChatTemplateInput input;
  input.messages = refs["conversations"]["tool_call"]["messages"];
  input.tools = refs["conversations"]["tool_call"]["tools"];
  jinja::RenderOptions options = testing::fixed_clock_options();
  options.limits.max_steps = 200'000;
  options.limits.max_output_bytes = 1 << 20;

  std::mt19937 rng(20240726);
  int parsed = 0;
  int rendered = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) {
    const std::string source = mutate(sources[static_cast<size_t>(i) % sources.size()], rng);
    const auto tmpl = ChatTemplate::from_source(source, {"<s>", "</s>"});
    if (!tmpl) {
      EXPECT_TRUE(tmpl.error().code() == ErrorCode::kParse || tmpl.error().code() == ErrorCode::kUnsupported ||
                  tmpl.error().code() == ErrorCode::kCapacity)
          << tmpl.error().message();
      continue;
    }
    ++parsed;
    if (tmpl->apply(input, options)) ++rendered;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // Most edits break the syntax, but plenty survive and run.
  EXPECT_GT(parsed, 1000);
  EXPECT_GT(rendered, 500);
}

}  // namespace
}  // namespace rocmforge::chat
