#include "server/http_reply.h"

#include <string>

namespace rocmforge::server {

void send_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(dump_json(body), "application/json");
}

void send_error(httplib::Response& res, const ApiError& error) {
  res.status = error.status;
  if (error.retry_after_s) res.set_header("Retry-After", std::to_string(*error.retry_after_s));
  if (error.status == 401) res.set_header("WWW-Authenticate", "Bearer");
  res.set_content(error_body(error), "application/json");
}

}  // namespace rocmforge::server
