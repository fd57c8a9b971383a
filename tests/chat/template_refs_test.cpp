// The real chat templates of each model family (tests/data/templates/*.jinja),
// rendered through ChatTemplate for every conversation of render_refs.py and
// compared byte for byte with what Python's jinja2 rendered, set up as
// transformers sets it up (tests/data/templates/refs.json). Where jinja2
// failed (raise_exception in the template), we must fail with the same
// message.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "chat/chat_template.h"
#include "test_support.h"

namespace rocmforge::chat {
namespace {

using testing::fixed_clock_options;
using testing::read_data_json;
using testing::read_data_text;

const nlohmann::ordered_json& refs() {
  static const nlohmann::ordered_json refs = read_data_json("templates/refs.json");
  return refs;
}

std::vector<std::string> families() {
  std::set<std::string> names;
  for (const auto& c : refs()["cases"]) names.insert(c["template"].get<std::string>());
  return {names.begin(), names.end()};
}

class TemplateRefs : public ::testing::TestWithParam<std::string> {};

TEST_P(TemplateRefs, MatchJinja2ByteForByte) {
  const std::string family = GetParam();
  const std::string source = read_data_text("templates/" + family + ".jinja");
  int cases = 0;
  for (const auto& c : refs()["cases"]) {
    if (c["template"] != family) continue;
    ++cases;
    const std::string conversation_name = c["conversation"];
    SCOPED_TRACE(fmt::format("conversation {}, add_generation_prompt {}, variables {}", conversation_name,
                             c["add_generation_prompt"].get<bool>(), c["extra"].dump()));
    const auto tmpl = ChatTemplate::from_source(source, {c["bos_token"], c["eos_token"]});
    ASSERT_TRUE(tmpl.has_value()) << tmpl.error().message();
    const auto& conversation = refs()["conversations"][conversation_name];
    ChatTemplateInput input;
    input.messages = conversation["messages"];
    if (conversation.contains("tools")) input.tools = conversation["tools"];
    input.add_generation_prompt = c["add_generation_prompt"];
    input.variables = c["extra"];
    const auto prompt = tmpl->apply(input, fixed_clock_options());
    if (c.contains("output")) {
      EXPECT_EQ(prompt ? *prompt : "<error: " + prompt.error().message() + ">", c["output"].get<std::string>());
      continue;
    }
    ASSERT_FALSE(prompt.has_value()) << "jinja2 failed with: " << c["error"] << "\nwe rendered: " << *prompt;
    EXPECT_EQ(prompt.error().code(), ErrorCode::kInvalidArgument) << prompt.error().message();
    if (c["error_kind"] == "raise_exception") {
      EXPECT_EQ(prompt.error().message(), c["error"].get<std::string>());
    }
  }
  EXPECT_GE(cases, 4);
}

INSTANTIATE_TEST_SUITE_P(Families, TemplateRefs, ::testing::ValuesIn(families()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           for (char& ch : name) {
                             if (ch == '.' || ch == '-') ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace rocmforge::chat
