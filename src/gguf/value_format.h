// Metadata values as short one-line text for people (rocmforge inspect, error
// messages): strings quoted with control bytes escaped, long strings cut, long
// arrays shortened to their first items and a count.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "gguf/value.h"

namespace rocmforge::gguf {

struct ValueFormat {
  size_t max_items = 4;          // array elements shown before "... N items"
  size_t max_string_bytes = 64;  // string bytes shown before "..."
};

// `"llama"`, `2048`, `1e-05`, `true`, `["<unk>", "<s>", "</s>", "<0x00>", ... 512 items]`.
std::string format_value(const Value& value, const ValueFormat& format = {});
std::string format_array(const Array& array, const ValueFormat& format = {});

// "uint32", "string", "array[string]", "array[array]".
std::string value_type_string(const Value& value);

// `text` on one line: backslashes, double quotes and control bytes escaped
// (\n, \xNN), cut after `max_bytes` (on a UTF-8 character boundary) with
// "..." added. Safe to put any file's bytes into an error message.
std::string escape(std::string_view text, size_t max_bytes = 64);

// escape(text) in double quotes.
std::string quote(std::string_view text, size_t max_bytes);

}  // namespace rocmforge::gguf
