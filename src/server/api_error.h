// The one place where the project's errors become HTTP answers: a status,
// an OpenAI-shaped error body ({"error": {"message", "type", "param",
// "code"}}) and, for a full queue, a Retry-After.
#pragma once

#include <optional>
#include <string>

#include "rocmforge/error.h"

namespace rocmforge::server {

struct ApiError {
  int status = 500;
  std::string type;                  // OpenAI's error type: invalid_request_error, server_error, ...
  std::string message;
  std::optional<std::string> param;  // the request field at fault
  std::optional<std::string> code;   // a machine-readable reason: model_not_found, invalid_api_key, ...
  std::optional<int> retry_after_s;  // sent as Retry-After
};

// What the server is doing when the error happens: while it drains for a
// shutdown, a full engine and a cancelled request mean "come back later"
// (503) rather than "slow down" (429) or "you went away" (499).
enum class ServerPhase { kServing, kDraining };

// kInvalidArgument, kParse → 400 invalid_request_error (with `param`);
// kUnsupported → 400 (code "unsupported"); kNotFound → 404;
// kCapacity → 429 with Retry-After (503 while draining);
// kCancelled → 499 (503 while draining); kOutOfMemory, kIo, kDevice,
// kInternal → 500 server_error, with a generic message (the details go to
// the log, not to the client).
ApiError api_error(const Error& error, std::optional<std::string> param = std::nullopt,
                   ServerPhase phase = ServerPhase::kServing);

// Errors the HTTP layer raises itself.
ApiError unauthorized_error();                       // 401, code invalid_api_key
ApiError route_not_found_error(const std::string& method, const std::string& path);  // 404
ApiError method_not_allowed_error(const std::string& method, const std::string& path);  // 405
ApiError body_too_large_error(size_t limit_bytes);   // 413
ApiError unsupported_media_type_error();             // 415 (multipart bodies)
ApiError http_status_error(int status);              // a status httplib set on its own (400, 414, ...)

// {"error": {"message": ..., "type": ..., "param": ..., "code": ...}}
std::string error_body(const ApiError& error);

}  // namespace rocmforge::server
