// JSON in and out of the server: bodies are parsed without exceptions and
// with a bound on nesting, and dumped without failing on bytes that are not
// UTF-8 (a token piece can be half a character).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rocmforge/error.h"

namespace rocmforge::server {

// Objects keep their key order, so a chat template's `tojson` prints them
// as the client sent them.
using Json = nlohmann::ordered_json;

inline constexpr int kMaxJsonDepth = 64;

// A request body: kInvalidArgument when it is not JSON, nests deeper than
// `max_depth`, or is not an object.
Result<Json> parse_json_body(std::string_view body, int max_depth = kMaxJsonDepth);

// Compact JSON; invalid UTF-8 in strings becomes U+FFFD.
std::string dump_json(const Json& value);

}  // namespace rocmforge::server
