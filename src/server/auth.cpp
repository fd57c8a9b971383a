#include "server/auth.h"

#include <cctype>
#include <fstream>
#include <sstream>

namespace rocmforge::server {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Every byte of `b` is compared (against a's byte at the same place, or 0
  // past its end) and differences are OR-ed together: no early exit. The
  // volatile accumulator keeps the compiler from adding one.
  volatile unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < b.size(); ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    diff = diff | static_cast<unsigned char>(x ^ static_cast<unsigned char>(b[i]));
  }
  return diff == 0;
}

Result<ApiKey> ApiKey::from_value(std::string key) {
  if (key.empty()) return RF_ERROR(kInvalidArgument, "the API key is empty");
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return RF_ERROR(kInvalidArgument, "the API key holds whitespace or a control character");
    }
  }
  return ApiKey(std::move(key));
}

Result<ApiKey> ApiKey::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return RF_ERROR(kNotFound, "cannot read the API key file '{}'", path);
  std::ostringstream text;
  text << in.rdbuf();
  std::string key = text.str();
  while (!key.empty() && static_cast<unsigned char>(key.back()) <= 0x20) key.pop_back();
  auto parsed = from_value(std::move(key));
  if (!parsed) return std::move(parsed).error().with_context(path);
  return parsed;
}

bool ApiKey::admits(std::string_view authorization) const {
  if (!key_) return true;
  constexpr std::string_view kScheme = "Bearer ";
  if (authorization.size() < kScheme.size()) return false;
  // The scheme is case-insensitive (RFC 9110); it is not secret.
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != std::tolower(static_cast<unsigned char>(kScheme[i]))) {
      return false;
    }
  }
  return constant_time_equal(authorization.substr(kScheme.size()), *key_);
}

}  // namespace rocmforge::server
