// Filling an httplib response: JSON bodies and errors, with the headers
// every answer of this server carries.
#pragma once

#include <httplib.h>

#include "server/api_error.h"
#include "server/json_text.h"

namespace rocmforge::server {

void send_json(httplib::Response& res, int status, const Json& body);
// The status, the OpenAI error body and Retry-After when the error has one.
void send_error(httplib::Response& res, const ApiError& error);

}  // namespace rocmforge::server
