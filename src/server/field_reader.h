// Typed, range-checked reads of a request's JSON fields. Every error names
// the field, and the reader remembers which field failed, so the answer can
// carry OpenAI's `param`. As in OpenAI's API, a field that is absent or null
// takes its default (nullopt here).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rocmforge/error.h"
#include "server/json_text.h"

namespace rocmforge::server {

class FieldReader {
 public:
  // `object` must be a JSON object and outlive the reader.
  explicit FieldReader(const Json& object) : object_(object) {}

  // The field's value; nullptr when absent or null.
  const Json* find(std::string_view key) const;

  Result<std::optional<double>> number(std::string_view key, double min, double max);
  // Integers; a float with an integral value (16.0) is accepted as one.
  Result<std::optional<int64_t>> integer(std::string_view key, int64_t min, int64_t max);
  Result<std::optional<bool>> boolean(std::string_view key);
  Result<std::optional<std::string>> string(std::string_view key);

  // An error about `param` (a field, or a path such as "messages[2].role"),
  // remembered as the failed field, with OpenAI's error code if it has one
  // (context_length_exceeded ...).
  Error fail(ErrorCode code, std::string_view param, std::string message,
             std::optional<std::string> api_code = std::nullopt);
  Error invalid(std::string_view param, std::string message) {
    return fail(ErrorCode::kInvalidArgument, param, std::move(message));
  }
  Error unsupported(std::string_view param, std::string message) {
    return fail(ErrorCode::kUnsupported, param, std::move(message));
  }
  Error type_error(std::string_view param, std::string_view expected, const Json& got);

  const std::optional<std::string>& failed_param() const { return failed_param_; }
  const std::optional<std::string>& failed_code() const { return failed_code_; }

 private:
  const Json& object_;
  std::optional<std::string> failed_param_;
  std::optional<std::string> failed_code_;
};

// The member `key` of a JSON object; nullptr when absent or null (or when
// `object` is not an object).
const Json* find_member(const Json& object, std::string_view key);

// "a string", "an integer", "an array" ... for messages.
std::string_view json_kind(const Json& value);

}  // namespace rocmforge::server
