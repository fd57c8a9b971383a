// Binds a call's arguments to a built-in's parameters as Python does:
// positional first, then by keyword, defaults for the rest.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chat/jinja/value.h"
#include "rocmforge/error.h"

namespace rocmforge::chat::jinja {

struct Param {
  std::string_view name;
  std::optional<Value> default_value;  // nullopt: required
};

// The bound values, in parameter order. kInvalidArgument for too many
// arguments, an unknown or repeated keyword, or a missing required one.
Result<std::vector<Value>> bind_args(std::string_view function, CallArgs args, std::initializer_list<Param> params);

// Typed reads of bound arguments, each failing with a message that names the
// function and the parameter.
Result<int64_t> int_arg(std::string_view function, std::string_view param, const Value& v);
Result<std::string> string_arg(std::string_view function, std::string_view param, const Value& v);
// A string, or nullopt for none/undefined.
Result<std::optional<std::string>> optional_string_arg(std::string_view function, std::string_view param,
                                                       const Value& v);

}  // namespace rocmforge::chat::jinja
