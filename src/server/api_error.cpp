#include "server/api_error.h"

#include <fmt/format.h>

#include "server/json_text.h"

namespace rocmforge::server {
namespace {

constexpr const char* kInvalidRequest = "invalid_request_error";
constexpr const char* kServerError = "server_error";

ApiError make(int status, const char* type, std::string message, std::optional<std::string> code = std::nullopt) {
  ApiError e;
  e.status = status;
  e.type = type;
  e.message = std::move(message);
  e.code = std::move(code);
  return e;
}

}  // namespace

ApiError api_error(const Error& error, std::optional<std::string> param, ServerPhase phase) {
  const bool draining = phase == ServerPhase::kDraining;
  ApiError e;
  switch (error.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse:
      e = make(400, kInvalidRequest, error.message());
      e.param = std::move(param);
      return e;
    case ErrorCode::kUnsupported:
      e = make(400, kInvalidRequest, error.message(), "unsupported");
      e.param = std::move(param);
      return e;
    case ErrorCode::kNotFound:
      e = make(404, kInvalidRequest, error.message(), "not_found");
      e.param = std::move(param);
      return e;
    case ErrorCode::kCapacity:
      if (draining) {
        e = make(503, kServerError, "the server is shutting down and takes no new requests", "shutting_down");
      } else {
        e = make(429, "rate_limit_error", error.message(), "rate_limit_exceeded");
      }
      e.retry_after_s = 1;
      return e;
    case ErrorCode::kCancelled:
      if (draining) return make(503, kServerError, "the server shut down before the request finished", "shutting_down");
      return make(499, kInvalidRequest, "the request was cancelled", "cancelled");
    case ErrorCode::kOutOfMemory:
    case ErrorCode::kIo:
    case ErrorCode::kDevice:
    case ErrorCode::kInternal:
      break;
  }
  return make(500, kServerError, "the server had an error while processing your request", "internal_error");
}

ApiError unauthorized_error() {
  return make(401, kInvalidRequest, "incorrect or missing API key: send it as 'Authorization: Bearer <key>'",
              "invalid_api_key");
}

ApiError route_not_found_error(const std::string& method, const std::string& path) {
  return make(404, kInvalidRequest, fmt::format("no route for {} {}", method, path), "not_found");
}

ApiError method_not_allowed_error(const std::string& method, const std::string& path) {
  return make(405, kInvalidRequest, fmt::format("{} is not allowed on {}", method, path), "method_not_allowed");
}

ApiError body_too_large_error(size_t limit_bytes) {
  return make(413, kInvalidRequest, fmt::format("the request body is larger than the server's limit of {} bytes", limit_bytes),
              "request_too_large");
}

ApiError unsupported_media_type_error() {
  return make(415, kInvalidRequest, "send the request body as JSON (application/json), not as multipart form data",
              "unsupported_media_type");
}

ApiError http_status_error(int status) {
  if (status == 413) return make(413, kInvalidRequest, "the request body is too large", "request_too_large");
  if (status == 414) return make(414, kInvalidRequest, "the request URI is too long", "uri_too_long");
  if (status >= 500) return make(status, kServerError, "the server had an error while processing your request", "internal_error");
  return make(status, kInvalidRequest, "the HTTP request is malformed", "bad_request");
}

std::string error_body(const ApiError& error) {
  Json inner = Json::object();
  inner["message"] = error.message;
  inner["type"] = error.type;
  inner["param"] = error.param ? Json(*error.param) : Json(nullptr);
  inner["code"] = error.code ? Json(*error.code) : Json(nullptr);
  Json body = Json::object();
  body["error"] = std::move(inner);
  return dump_json(body);
}

}  // namespace rocmforge::server
