#include "server/routes.h"

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <string_view>

#include "server/generation.h"
#include "server/http_reply.h"
#include "server/info_handlers.h"

namespace rocmforge::server {
namespace {

using httplib::Request;
using httplib::Response;

struct KnownPath {
  std::string_view path;
  std::string_view method;
};

constexpr std::array<KnownPath, 7> kPaths = {{
    {"/health", "GET"},
    {"/metrics", "GET"},
    {"/v1/models", "GET"},
    {"/v1/completions", "POST"},
    {"/v1/chat/completions", "POST"},
    {"/tokenize", "POST"},
    {"/detokenize", "POST"},
}};
constexpr std::string_view kModelPrefix = "/v1/models/";

std::optional<std::string_view> allowed_method(const std::string& path) {
  for (const KnownPath& p : kPaths) {
    if (path == p.path) return p.method;
  }
  if (path.size() > kModelPrefix.size() && path.starts_with(kModelPrefix)) return "GET";
  return std::nullopt;
}

// For logs: control characters shown as '?', long paths cut.
std::string printable(std::string_view text) {
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

struct Env {
  ServerContext& ctx;
  RouteOptions options;

  const std::string& id(const Response& res) const;
  bool admitted(const Request& req) const { return options.api_key.admits(req.get_header_value("Authorization")); }
};

const std::string& Env::id(const Response& res) const {
  const auto it = res.headers.find("X-Request-Id");
  static const std::string kNone = "-";
  return it == res.headers.end() ? kNone : it->second;
}

// Reads the body up to the limit; false (with the error sent) when it cannot.
bool read_body(const Env& env, const httplib::ContentReader& reader, std::string& body, Response& res) {
  bool too_large = false;
  const bool read = reader([&](const char* data, size_t n) {
    if (n > env.options.max_body_bytes - body.size()) {
      too_large = true;
      return false;
    }
    body.append(data, n);
    return true;
  });
  if (read) return true;
  // The rest of the body is still on the connection: the client must close it.
  res.set_header("Connection", "close");
  send_error(res, too_large ? body_too_large_error(env.options.max_body_bytes) : http_status_error(400));
  return false;
}

void install_guards(httplib::Server& http, const std::shared_ptr<Env>& env) {
  http.set_pre_routing_handler([env](const Request& req, Response& res) {
    const std::string client_id = req.get_header_value("X-Request-Id");
    res.set_header("X-Request-Id", acceptable_client_request_id(client_id) ? client_id : env->ctx.ids.next());
    constexpr std::array<std::string_view, 7> kMethods = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
    const bool known_method = std::find(kMethods.begin(), kMethods.end(), req.method) != kMethods.end();
    // httplib would read the body of these itself, without a bound.
    if (!known_method || req.is_multipart_form_data()) {
      res.set_header("Connection", "close");
      send_error(res, known_method ? unsupported_media_type_error() : method_not_allowed_error(req.method, printable(req.path)));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Statuses httplib sets on its own (a malformed request line, a route it
  // could not match) get an OpenAI body too.
  http.set_error_handler(httplib::Server::HandlerWithResponse([env](const Request&, Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    if (!res.has_header("X-Request-Id")) res.set_header("X-Request-Id", env->ctx.ids.next());
    send_error(res, http_status_error(res.status));
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([env](const Request&, Response& res, std::exception_ptr thrown) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(thrown);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    env->ctx.log.error("request id={} failed: {}", env->id(res), what);
    send_error(res, api_error(RF_ERROR(kInternal, "{}", what)));
  });
  http.set_logger([env](const Request& req, const Response& res) {
    env->ctx.metrics.count_request(endpoint_label(req.path), res.status);
    env->ctx.log.info("http id={} method={} path={} status={} remote={}", env->id(res), printable(req.method),
                      printable(req.path), res.status, req.remote_addr);
  });
}

// Whatever matched no route: 401 without the key (routes are not revealed),
// else 405 for a known path, else 404.
void unrouted(const Env& env, const Request& req, Response& res) {
  if (!env.admitted(req)) return send_error(res, unauthorized_error());
  if (const auto method = allowed_method(req.path)) {
    res.set_header("Allow", std::string(*method));
    return send_error(res, method_not_allowed_error(req.method, printable(req.path)));
  }
  send_error(res, route_not_found_error(req.method, printable(req.path)));
}

}  // namespace

std::string endpoint_label(const std::string& path) {
  for (const KnownPath& p : kPaths) {
    if (path == p.path) return std::string(p.path);
  }
  if (path.size() > kModelPrefix.size() && path.starts_with(kModelPrefix)) return "/v1/models/{id}";
  return "other";
}

void install_routes(httplib::Server& http, ServerContext& ctx, RouteOptions options) {
  auto env = std::make_shared<Env>(Env{ctx, std::move(options)});
  install_guards(http, env);

  auto get = [&](const char* pattern, bool open, std::function<void(const Request&, Response&)> fn) {
    http.Get(pattern, [env, open, fn = std::move(fn)](const Request& req, Response& res) {
      if (!open && !env->admitted(req)) return send_error(res, unauthorized_error());
      fn(req, res);
    });
  };
  auto post = [&](const char* pattern, std::function<void(const Request&, std::string_view, Response&)> fn) {
    http.Post(pattern, [env, fn = std::move(fn)](const Request& req, Response& res, const httplib::ContentReader& reader) {
      std::string body;
      if (!read_body(*env, reader, body, res)) return;
      if (!env->admitted(req)) return send_error(res, unauthorized_error());
      fn(req, body, res);
    });
  };

  get("/health", true, [env](const Request&, Response& res) { handle_health(env->ctx, res); });
  get("/metrics", false, [env](const Request&, Response& res) { handle_metrics(env->ctx, res); });
  get("/v1/models", false, [env](const Request&, Response& res) { handle_models(env->ctx, res); });
  get("/v1/models/(.+)", false, [env](const Request& req, Response& res) { handle_model(env->ctx, req.matches[1], res); });
  post("/v1/completions", [env](const Request& req, std::string_view body, Response& res) {
    handle_generation(env->ctx, Api::kCompletions, env->id(res), req.version, body, res);
  });
  post("/v1/chat/completions", [env](const Request& req, std::string_view body, Response& res) {
    handle_generation(env->ctx, Api::kChat, env->id(res), req.version, body, res);
  });
  post("/tokenize", [env](const Request&, std::string_view body, Response& res) { handle_tokenize(env->ctx, body, res); });
  post("/detokenize", [env](const Request&, std::string_view body, Response& res) { handle_detokenize(env->ctx, body, res); });

  // Last, so they only see what nothing above matched. Bodies are read
  // (bounded) here too, so httplib never reads one without a limit.
  http.Get(".*", [env](const Request& req, Response& res) { unrouted(*env, req, res); });
  http.Options(".*", [env](const Request& req, Response& res) { unrouted(*env, req, res); });
  auto unrouted_with_body = [env](const Request& req, Response& res, const httplib::ContentReader& reader) {
    std::string body;
    if (read_body(*env, reader, body, res)) unrouted(*env, req, res);
  };
  http.Post(".*", unrouted_with_body);
  http.Put(".*", unrouted_with_body);
  http.Patch(".*", unrouted_with_body);
  http.Delete(".*", unrouted_with_body);
}

}  // namespace rocmforge::server
