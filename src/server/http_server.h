// The server's life: bind, serve, and on SIGINT/SIGTERM drain and stop.
//
// Draining: new generation requests are answered 503 (and /health turns
// 503), the engine finishes the requests it accepted until the deadline
// (--shutdown-timeout) and cancels the rest, the answers in flight are
// written out, and only then is the listener stopped: no request that was
// answered 200 is cut short before the deadline. run() then returns ok (exit
// status 0). A second signal exits at once (see signals.h).
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "server/routes.h"
#include "server/server_context.h"

namespace rocmforge::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: a free port (port() tells which)
  RouteOptions routes;
  int n_threads = 64;  // requests answered at once; a stream holds one thread while it lasts
  std::chrono::seconds shutdown_timeout{30};
};

class HttpServer {
 public:
  // Binds the listening socket: kIo when it cannot (the port is taken ...).
  static Result<std::unique_ptr<HttpServer>> bind(ServerContext& ctx, const HttpOptions& options);

  int port() const { return port_; }

  // Serves until a shutdown signal has been handled (signals must be
  // blocked: block_shutdown_signals()), then returns once every connection
  // has closed. The engine is shut down on return.
  Status run();

 private:
  HttpServer(ServerContext& ctx, const HttpOptions& options) : ctx_(ctx), options_(options) {}

  void request_shutdown(std::optional<int> signo);
  void drain();

  ServerContext& ctx_;
  HttpOptions options_;
  httplib::Server http_;
  int port_ = 0;
  int listen_fd_ = -1;  // the listening socket (httplib owns and closes it)

  std::mutex mutex_;
  std::condition_variable changed_;
  bool requested_ = false;        // a signal came, or the listener returned
  std::optional<int> signo_;      // the signal, if one came
  bool listening_ = false;        // httplib runs its accept loop: stop() works from now on
  bool listen_returned_ = false;
};

}  // namespace rocmforge::server
