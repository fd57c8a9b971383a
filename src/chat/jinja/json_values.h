// JSON in and out of templates: request data (messages, tools) becomes
// Values, and the tojson filter writes Values as transformers' tojson does
// (Python's json.dumps with ensure_ascii=False and keys in their order).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

// Objects become dicts in key order, arrays lists; an integer too large for
// int64 becomes a float. kInvalidArgument when nested deeper than
// kMaxValueDepth.
Result<Value> from_json(const nlohmann::ordered_json& json);

struct JsonFormat {
  std::optional<std::string> indent;  // nullopt: one line; else the text of one indent level
  std::string item_separator = ", ";  // Python's defaults: ", " and ": " on one line,
  std::string key_separator = ": ";   // "," and ": " when indenting
  bool ensure_ascii = false;          // escape every non-ASCII character as \uXXXX
  bool sort_keys = false;
};

// json.dumps(value, ...). kInvalidArgument for what JSON cannot hold
// (undefined, a namespace, a function, a dict key that is a tuple).
Result<std::string> to_json_text(const Value& value, const JsonFormat& format);

}  // namespace rocmforge::chat::jinja
