// Splits template source into tokens, as jinja2's lexer does with
// trim_blocks and lstrip_blocks on (transformers' settings):
//
// - text, `{{ expression }}`, `{% statement %}` and `{# comment #}`;
// - `{%-`, `{{-`, `{#-` strip all whitespace before the tag, `-%}`, `-}}`,
//   `-#}` all whitespace after it;
// - trim_blocks: the first newline after `%}` or `#}` is dropped (`+%}`
//   keeps it); lstrip_blocks: spaces and tabs from the start of a line up to
//   `{%` or `{#` are dropped (`{%+` keeps them);
// - `{% raw %}...{% endraw %}` is text;
// - line endings become "\n" and one trailing newline is dropped
//   (keep_trailing_newline off).
//
// Inside tags: names, strings (Python escapes), integers (0x/0o/0b, '_'),
// floats, operators; brackets must balance before a tag may end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

struct SourcePos {
  int line = 1;
  int column = 1;  // in characters
};

// "line 3, column 14"
std::string describe(SourcePos pos);

enum class TokenKind {
  kText,
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,
  kInteger,
  kFloat,
  kOperator,  // text holds the operator: "+", "//", "(", "==", ...
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // text, name, operator, or the string literal's value
  int64_t integer = 0;
  double number = 0.0;
  SourcePos pos;
};

// kParse (with line and column) for an unterminated tag, comment, string or
// raw block, an unexpected character or unbalanced brackets; kCapacity for
// an integer literal too large for 64 bits.
Result<std::vector<Token>> tokenize(std::string_view source);

}  // namespace rocmforge::chat::jinja
