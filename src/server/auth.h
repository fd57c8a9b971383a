// API keys: the key from --api-key or --api-key-file, and the check of a
// request's "Authorization: Bearer <key>" header in time that does not
// depend on how much of the key a guess got right.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "rocmforge/error.h"

namespace rocmforge::server {

// True when the strings are equal. Its time depends on the lengths only,
// never on where the first difference lies.
bool constant_time_equal(std::string_view a, std::string_view b);

class ApiKey {
 public:
  // No key: every request is let in.
  ApiKey() = default;
  // kInvalidArgument for an empty key or one with whitespace or control characters.
  static Result<ApiKey> from_value(std::string key);
  // The file's content without trailing whitespace (a final newline ...);
  // kNotFound when it cannot be read.
  static Result<ApiKey> from_file(const std::string& path);

  bool required() const { return key_.has_value(); }
  // Whether a request with this Authorization header value may pass.
  bool admits(std::string_view authorization) const;

 private:
  explicit ApiKey(std::string key) : key_(std::move(key)) {}
  std::optional<std::string> key_;
};

}  // namespace rocmforge::server
