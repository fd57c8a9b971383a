// Values as Python prints them, Python's str operations over UTF-8, JSON in
// and out (expected values from CPython 3.11).
#include <gtest/gtest.h>

#include <cmath>

#include "chat/jinja/json_values.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

TEST(JinjaValues, FloatsPrintAsPythonRepr) {
  const struct {
    double value;
    const char* repr;
  } cases[] = {
      {0.0, "0.0"},
      {-0.0, "-0.0"},
      {1.0, "1.0"},
      {0.1, "0.1"},
      {1e-05, "1e-05"},
      {0.0001, "0.0001"},
      {123456789.125, "123456789.125"},
      {1000000000000000.0, "1000000000000000.0"},
      {1e+16, "1e+16"},
      {1.5e+16, "1.5e+16"},
      {1e+22, "1e+22"},
      {1.7976931348623157e+308, "1.7976931348623157e+308"},
      {5e-324, "5e-324"},
      {2.5, "2.5"},
      {100.0, "100.0"},
      {1.0 / 3.0, "0.3333333333333333"},
      {0.1 + 0.2, "0.30000000000000004"},
      {12345678901234567890.0, "1.2345678901234567e+19"},
      {-2.5e-10, "-2.5e-10"},
      {1234.5678, "1234.5678"},
  };
  for (const auto& c : cases) EXPECT_EQ(python_float_repr(c.value), c.repr) << c.value;
  EXPECT_EQ(python_float_repr(NAN), "nan");
  EXPECT_EQ(python_float_repr(-INFINITY), "-inf");
}

TEST(JinjaValues, StringsQuoteAsPythonRepr) {
  EXPECT_EQ(quote_string("it's"), "\"it's\"");
  EXPECT_EQ(quote_string("a\"b"), "'a\"b'");
  EXPECT_EQ(quote_string("a'\"b"), "'a\\'\"b'");
  EXPECT_EQ(quote_string("\x01\x7f"), "'\\x01\\x7f'");
  EXPECT_EQ(quote_string("caf\xC3\xA9"), "'caf\xC3\xA9'");
  EXPECT_EQ(quote_string("\xC2\xA0\xE2\x80\xA8"), "'\\xa0\\u2028'");
  EXPECT_EQ(quote_string("tab\tnl\ncr\r\\"), "'tab\\tnl\\ncr\\r\\\\'");
}

TEST(JinjaValues, StrAndReprOfContainers) {
  DictBuilder dict;
  dict.set("k", Value::list({Value::integer(1), Value::none(), Value::boolean(true), Value::number(0.5)}));
  const Value v = std::move(dict).build();
  EXPECT_EQ(to_str(v), "{'k': [1, None, True, 0.5]}");
  EXPECT_EQ(to_str(Value::tuple({Value::string("a")})), "('a',)");
  EXPECT_EQ(to_str(Value()), "");
  EXPECT_EQ(to_repr(Value()), "Undefined");
  // Formatting stops soon after the limit instead of building it all.
  const Value big = Value::list(std::vector<Value>(100000, Value::string(std::string(100, 'x'))));
  EXPECT_LT(to_str(big, 1000).size(), 1200u);
}

TEST(JinjaValues, DictKeysHashAsPython) {
  DictBuilder dict;
  ASSERT_TRUE(dict.set(Value::integer(1), Value::string("int")).has_value());
  ASSERT_TRUE(dict.set(Value::boolean(true), Value::string("bool")).has_value());  // 1 == True
  ASSERT_TRUE(dict.set(Value::number(1.0), Value::string("float")).has_value());
  EXPECT_FALSE(dict.set(Value::list({}), Value::none()).has_value());              // unhashable
  const Value d = std::move(dict).build();
  ASSERT_EQ(d.as_dict().entries.size(), 1u);
  EXPECT_EQ(to_str(d), "{1: 'float'}");
}

TEST(JinjaValues, EqualityFollowsPython) {
  EXPECT_TRUE(equals(Value::integer(1), Value::number(1.0)));
  EXPECT_TRUE(equals(Value::boolean(true), Value::integer(1)));
  EXPECT_FALSE(equals(Value::string("1"), Value::integer(1)));
  EXPECT_FALSE(equals(Value::list({}), Value::tuple({})));
  EXPECT_TRUE(equals(Value(), Value::undefined("other hint")));
  EXPECT_FALSE(equals(Value(), Value::none()));
}

TEST(JinjaValues, PythonStringOperations) {
  using py_text::StripSide;
  // U+3000 and U+2003 are whitespace to Python.
  EXPECT_EQ(py_text::split(" \xE3\x80\x80" "a b\xE2\x80\x83", std::nullopt, -1), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(py_text::strip("\xE3\x80\x80 x \xE3\x80\x80", std::nullopt, StripSide::kBoth), "x");
  EXPECT_EQ(py_text::strip("xxaxx", std::string("x"), StripSide::kLeft), "axx");
  EXPECT_EQ(py_text::split("a,b,,c", std::string(","), 2), (std::vector<std::string>{"a", "b", ",c"}));
  EXPECT_EQ(py_text::rsplit("a,b,c", std::string(","), 1), (std::vector<std::string>{"a,b", "c"}));
  EXPECT_EQ(py_text::rsplit("  a b  c  ", std::nullopt, 1), (std::vector<std::string>{"  a b", "c"}));
  EXPECT_EQ(py_text::title("hello wORLD it's"), "Hello World It'S");
  EXPECT_EQ(py_text::capitalize("hELLO"), "Hello");
  EXPECT_EQ(py_text::replace("abc", "", "-", -1, 100).value_or("?"), "-a-b-c-");
  EXPECT_FALSE(py_text::replace("aaaa", "a", "bbbb", -1, 10).has_value());
  EXPECT_EQ(py_text::char_count("h\xC3\xA9llo"), 5u);
  EXPECT_EQ(py_text::find("h\xC3\xA9llo", "l"), 2);
}

TEST(JinjaValues, JsonRoundTripKeepsKeyOrder) {
  const auto json = nlohmann::ordered_json::parse(R"({"z": 1, "a": [1.5, "caf\u00e9", null, true, {}], "big": 18446744073709551615})");
  const Value v = from_json(json).value();
  JsonFormat format;
  EXPECT_EQ(to_json_text(v, format).value(), "{\"z\": 1, \"a\": [1.5, \"caf\xC3\xA9\", null, true, {}], \"big\": 1.8446744073709552e+19}");
  format.indent = "  ";
  format.item_separator = ",";
  EXPECT_EQ(to_json_text(from_json(nlohmann::ordered_json::parse(R"({"a": [1, []]})")).value(), format).value(),
            "{\n  \"a\": [\n    1,\n    []\n  ]\n}");
  JsonFormat ascii;
  ascii.ensure_ascii = true;
  EXPECT_EQ(to_json_text(Value::string("\xC3\xA9\xF0\x9F\x98\x80\x01"), ascii).value(), "\"\\u00e9\\ud83d\\ude00\\u0001\"");
  EXPECT_FALSE(to_json_text(Value(), format).has_value());
}

}  // namespace
}  // namespace rocmforge::chat::jinja
