// The HTTP surface: which handler answers which method and path, and what
// every request meets first. In order: a request id (the client's
// X-Request-Id when it is safe, else a new one; returned in X-Request-Id);
// methods outside GET/HEAD/POST/PUT/PATCH/DELETE/OPTIONS and multipart
// bodies refused before any byte of the body is read; the body read up to
// the size limit (413 past it, without reading the rest); the API key
// (401; /health is open). Unknown paths answer 404, known paths with another
// method 405. Every answer is counted in the metrics by endpoint and status
// and logged with its request id.
#pragma once

#include <httplib.h>

#include <cstddef>

#include "server/auth.h"
#include "server/server_context.h"

namespace rocmforge::server {

struct RouteOptions {
  ApiKey api_key;
  size_t max_body_bytes = size_t{16} << 20;
};

// `ctx` must outlive `http`'s use of the routes.
void install_routes(httplib::Server& http, ServerContext& ctx, RouteOptions options);

// The metrics label of a path: the route it matches, or "other".
std::string endpoint_label(const std::string& path);

}  // namespace rocmforge::server
