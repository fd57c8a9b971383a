// Values as Python prints them: str() for `{{ x }}`, repr() inside
// containers ("['a', 1, None]"), floats in Python's shortest round-trip form
// ("1.0", "1e-05", "1e+16").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

// repr(float): the shortest text that reads back as `d`, in fixed notation
// for exponents -4..15 and scientific otherwise; "nan", "inf", "-inf".
std::string python_float_repr(double d);

// str(value): what `{{ value }}` prints. Undefined prints as "".
// Formatting stops soon after the text passes `max_bytes` (so a huge list
// is not formatted in full); the caller rejects the oversized result.
std::string to_str(const Value& value, size_t max_bytes = SIZE_MAX);
// repr(value): strings quoted and escaped as Python does.
std::string to_repr(const Value& value, size_t max_bytes = SIZE_MAX);
// repr() of one string: 'it\'s' is "it's", a newline is \n.
std::string quote_string(std::string_view text);

// markupsafe's escape(): & < > " ' as HTML entities.
std::string html_escape(std::string_view text);

// Python's printf-style `format % args`: %s, %r, %d, %i, %f (with an optional
// precision, as in %.2f) and %%. kUnsupported for other conversions, flags
// and widths; kInvalidArgument when the arguments do not match.
Result<std::string> percent_format(std::string_view format, const std::vector<Value>& args);

}  // namespace rocmforge::chat::jinja
