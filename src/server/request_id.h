// Request ids: one per HTTP request, in every log line about it, returned as
// the X-Request-Id header and inside the completion's id ("cmpl-<id>").
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

namespace rocmforge::server {

class RequestIds {
 public:
  RequestIds();  // a random prefix, so ids differ between runs

  // 16 hex digits: the process's prefix, then a counter (unique for 2^32
  // requests). Thread-safe.
  std::string next();

 private:
  uint32_t base_;
  std::atomic<uint32_t> counter_{0};
};

// A client's own X-Request-Id is kept when it is 1 to 64 characters of
// [A-Za-z0-9._:-] (safe in logs and headers); otherwise the server picks one.
bool acceptable_client_request_id(std::string_view id);

}  // namespace rocmforge::server
