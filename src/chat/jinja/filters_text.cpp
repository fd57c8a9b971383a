// Filters that make text: trim, upper, lower, title, capitalize, replace,
// indent, center, truncate, wordcount, string, safe, escape, tojson.
// Only safe and escape make Markup strings; the others return plain ones
// (markupsafe's Markup keeps itself through upper(), strip(), ...: a
// difference only for templates that `+` such a result to a plain string).
#include <algorithm>

#include <fmt/format.h>

#include "chat/jinja/builtin_groups.h"
#include "chat/jinja/call_args.h"
#include "chat/jinja/interpreter.h"
#include "chat/jinja/json_values.h"
#include "chat/jinja/py_text.h"
#include "chat/jinja/value_format.h"

namespace rocmforge::chat::jinja {
namespace {

constexpr int64_t kMaxIndent = 1024;

Result<Value> text_result(Interpreter& interp, std::string text) {
  RF_TRY(interp.charge_bytes(text.size()));
  return Value::string(std::move(text));
}

Result<Value> no_args(std::string_view name, CallArgs args) {
  RF_TRY(bind_args(name, std::move(args), {}));
  return Value();
}

Result<Value> trim(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("trim", std::move(args), {{"chars", Value::none()}}));
  const auto chars = RF_TRY(optional_string_arg("trim", "chars", a[0]));
  return text_result(interp, py_text::strip(to_str(input), chars, py_text::StripSide::kBoth));
}

Result<Value> upper(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("upper", std::move(args)));
  return text_result(interp, py_text::upper(to_str(input)));
}

Result<Value> lower(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("lower", std::move(args)));
  return text_result(interp, py_text::lower(to_str(input)));
}

Result<Value> capitalize(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("capitalize", std::move(args)));
  return text_result(interp, py_text::capitalize(to_str(input)));
}

// jinja2's title: words start after '-', whitespace, '(', '{', '[' or '<';
// each starts upper case and continues lower case.
Result<Value> title(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("title", std::move(args)));
  const std::string text = to_str(input);
  std::string out;
  bool word_start = true;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = py_text::next_char(text, pos);
    const bool separator = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || py_text::is_space(c);
    const std::string_view ch = std::string_view(text).substr(start, pos - start);
    out += word_start && !separator ? py_text::upper(ch) : (separator ? std::string(ch) : py_text::lower(ch));
    word_start = separator;
  }
  return text_result(interp, std::move(out));
}

Result<Value> replace(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("replace", std::move(args), {{"old", {}}, {"new", {}}, {"count", Value::none()}}));
  const int64_t count = a[2].is_none() ? -1 : RF_TRY(int_arg("replace", "count", a[2]));
  auto out = py_text::replace(to_str(input), to_str(a[0]), to_str(a[1]), count, interp.limits().max_output_bytes);
  if (!out) return RF_ERROR(kCapacity, "the result would exceed {} bytes", interp.limits().max_output_bytes);
  return text_result(interp, std::move(*out));
}

// Python's str.splitlines() line breaks.
std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t line_start = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    const char32_t c = py_text::next_char(text, pos);
    const bool is_break = c == '\n' || c == '\r' || c == '\v' || c == '\f' || (c >= 0x1C && c <= 0x1E) ||
                          c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!is_break) continue;
    lines.emplace_back(text.substr(line_start, start - line_start));
    if (c == '\r' && pos < text.size() && text[pos] == '\n') ++pos;
    line_start = pos;
  }
  if (line_start < text.size()) lines.emplace_back(text.substr(line_start));
  return lines;
}

Result<Value> indent(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("indent", std::move(args), {{"width", Value::integer(4)},
                                                              {"first", Value::boolean(false)},
                                                              {"blank", Value::boolean(false)}}));
  std::string indention;
  if (a[0].is_string()) {
    indention = a[0].as_string();
  } else {
    const int64_t width = RF_TRY(int_arg("indent", "width", a[0]));
    if (width > kMaxIndent) return RF_ERROR(kInvalidArgument, "width {} is larger than {}", width, kMaxIndent);
    indention.assign(static_cast<size_t>(std::max<int64_t>(width, 0)), ' ');
  }
  const std::string text = to_str(input) + "\n";
  const std::vector<std::string> lines = split_lines(text);
  if (text.size() + (lines.size() + 1) * indention.size() > interp.limits().max_output_bytes) {
    return RF_ERROR(kCapacity, "the indented text would exceed {} bytes", interp.limits().max_output_bytes);
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    const bool blank = lines[i].empty();
    if (i > 0 && (!blank || a[2].truthy())) out += indention;
    out += lines[i];
  }
  if (a[1].truthy()) out = indention + out;
  return text_result(interp, std::move(out));
}

Result<Value> center(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("center", std::move(args), {{"width", Value::integer(80)}}));
  const int64_t width = RF_TRY(int_arg("center", "width", a[0]));
  const std::string text = to_str(input);
  const auto length = static_cast<int64_t>(py_text::char_count(text));
  if (width <= length) return Value::string(text);
  if (width > static_cast<int64_t>(interp.limits().max_output_bytes)) return RF_ERROR(kCapacity, "width too large");
  // Python's str.center: the odd space goes left when the width is odd.
  const int64_t pad = width - length;
  const int64_t left = pad / 2 + (pad & width & 1);
  return text_result(interp, std::string(static_cast<size_t>(left), ' ') + text +
                                 std::string(static_cast<size_t>(pad - left), ' '));
}

Result<Value> truncate(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("truncate", std::move(args), {{"length", Value::integer(255)},
                                                                {"killwords", Value::boolean(false)},
                                                                {"end", Value::string("...")},
                                                                {"leeway", Value::integer(5)}}));
  const int64_t length = RF_TRY(int_arg("truncate", "length", a[0]));
  const std::string end = to_str(a[2]);
  const int64_t leeway = a[3].is_none() ? 5 : RF_TRY(int_arg("truncate", "leeway", a[3]));
  const auto end_length = static_cast<int64_t>(py_text::char_count(end));
  if (length < end_length || leeway < 0) return RF_ERROR(kInvalidArgument, "expected length >= {}", end_length);
  const std::string text = to_str(input);
  const std::vector<size_t> offsets = py_text::char_offsets(text);
  if (static_cast<int64_t>(offsets.size()) - 1 <= length + leeway) return Value::string(text);
  std::string kept = text.substr(0, offsets[static_cast<size_t>(length - end_length)]);
  if (!a[1].truthy()) kept = py_text::rsplit(kept, std::string(" "), 1)[0];
  return text_result(interp, kept + end);
}

Result<Value> wordcount(Interpreter&, const Value& input, CallArgs args) {
  RF_TRY(no_args("wordcount", std::move(args)));
  const std::string text = to_str(input);
  int64_t words = 0;
  bool in_word = false;
  for (size_t pos = 0; pos < text.size();) {
    const char32_t c = py_text::next_char(text, pos);
    const bool word_char = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                           (c >= 0x80 && !py_text::is_space(c));
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value::integer(words);
}

Result<Value> string(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("string", std::move(args)));
  if (input.is_string()) return input;
  return text_result(interp, to_str(input));
}

// escape/e: a Markup string is already safe and stays as it is.
Result<Value> escape(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("escape", std::move(args)));
  if (input.is_markup()) return input;
  std::string out = html_escape(to_str(input));
  RF_TRY(interp.charge_bytes(out.size()));
  return Value::markup(std::move(out));
}

Result<Value> forceescape(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("forceescape", std::move(args)));
  std::string out = html_escape(to_str(input));
  RF_TRY(interp.charge_bytes(out.size()));
  return Value::markup(std::move(out));
}

Result<Value> safe(Interpreter& interp, const Value& input, CallArgs args) {
  RF_TRY(no_args("safe", std::move(args)));
  if (input.is_markup()) return input;
  std::string out = to_str(input);
  RF_TRY(interp.charge_bytes(out.size()));
  return Value::markup(std::move(out));
}

// transformers' tojson: json.dumps(x, ensure_ascii=False, indent=None,
// separators=None, sort_keys=False), without HTML escaping.
Result<Value> tojson(Interpreter& interp, const Value& input, CallArgs args) {
  const auto a = RF_TRY(bind_args("tojson", std::move(args), {{"ensure_ascii", Value::boolean(false)},
                                                              {"indent", Value::none()},
                                                              {"separators", Value::none()},
                                                              {"sort_keys", Value::boolean(false)}}));
  JsonFormat format;
  format.ensure_ascii = a[0].truthy();
  if (a[1].is_string()) {
    format.indent = a[1].as_string();
  } else if (!a[1].is_none()) {
    const int64_t width = RF_TRY(int_arg("tojson", "indent", a[1]));
    if (width > kMaxIndent) return RF_ERROR(kInvalidArgument, "indent {} is larger than {}", width, kMaxIndent);
    format.indent = std::string(static_cast<size_t>(std::max<int64_t>(width, 0)), ' ');
  }
  if (format.indent) format.item_separator = ",";
  if (!a[2].is_none()) {
    if (!a[2].is_list() || a[2].items().size() != 2) {
      return RF_ERROR(kInvalidArgument, "separators must be a pair of strings");
    }
    format.item_separator = RF_TRY(string_arg("tojson", "separators", a[2].items()[0]));
    format.key_separator = RF_TRY(string_arg("tojson", "separators", a[2].items()[1]));
  }
  format.sort_keys = a[3].truthy();
  return text_result(interp, RF_TRY(to_json_text(input, format)));
}

const FilterEntry kFilters[] = {
    {"trim", trim},         {"upper", upper},       {"lower", lower},     {"capitalize", capitalize},
    {"title", title},       {"replace", replace},   {"indent", indent},   {"center", center},
    {"truncate", truncate}, {"wordcount", wordcount}, {"string", string}, {"safe", safe},
    {"escape", escape},     {"e", escape},          {"forceescape", forceescape}, {"tojson", tojson},
};

}  // namespace

std::span<const FilterEntry> text_filters() { return kFilters; }

}  // namespace rocmforge::chat::jinja
