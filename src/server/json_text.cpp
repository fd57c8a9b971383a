#include "server/json_text.h"

namespace rocmforge::server {
namespace {

// The deepest nesting of arrays and objects, outside strings. nlohmann's
// parser is iterative, but what reads the value afterwards (chat templates,
// copies) may recurse, so depth is bounded before parsing.
bool nesting_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace

Result<Json> parse_json_body(std::string_view body, int max_depth) {
  if (!nesting_within(body, max_depth)) {
    return RF_ERROR(kInvalidArgument, "the JSON body nests deeper than {} levels", max_depth);
  }
  Json value = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) {
    return RF_ERROR(kInvalidArgument, "we could not parse the JSON body of your request (it is not valid JSON)");
  }
  if (!value.is_object()) return RF_ERROR(kInvalidArgument, "the JSON body must be an object");
  return value;
}

std::string dump_json(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

}  // namespace rocmforge::server
