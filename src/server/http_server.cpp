#include "server/http_server.h"

#include <signal.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "server/signals.h"

namespace rocmforge::server {
namespace {

// After the engine has ended every stream, how long the last bytes may take
// to write before the listener is stopped anyway (a client that stopped
// reading is cut off by the write timeout).
constexpr auto kWriteGrace = std::chrono::seconds(5);
constexpr time_t kWriteTimeoutSeconds = 10;
constexpr time_t kReadTimeoutSeconds = 30;
constexpr size_t kKeepAliveRequests = 100;
constexpr int kListenBacklog = 1024;

const char* signal_name(int signo) { return signo == SIGINT ? "SIGINT" : signo == SIGTERM ? "SIGTERM" : "a signal"; }

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::bind(ServerContext& ctx, const HttpOptions& options) {
  if (options.n_threads <= 0) return RF_ERROR(kInvalidArgument, "the HTTP thread count must be positive");
  std::unique_ptr<HttpServer> server(new HttpServer(ctx, options));
  httplib::Server& http = server->http_;
  HttpServer* self = server.get();
  const auto n_threads = static_cast<size_t>(options.n_threads);
  // httplib makes its task queue as listen starts (after it marks itself
  // running): the moment from which stop() takes effect.
  http.new_task_queue = [self, n_threads] {
    {
      const std::lock_guard lock(self->mutex_);
      self->listening_ = true;
    }
    self->changed_.notify_all();
    return new httplib::ThreadPool(n_threads);
  };
  // httplib listens with a backlog of 5, and a burst of clients (32 at once)
  // overflows it into SYN retries a second apart: the socket is kept here to
  // listen again with a deeper backlog. Without SO_REUSEPORT (httplib's
  // default sets it), a second server on the same port fails to bind.
  http.set_socket_options([self](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    self->listen_fd_ = sock;
  });
  http.set_tcp_nodelay(true);  // a token per write: Nagle's delay would hold them back
  http.set_keep_alive_max_count(kKeepAliveRequests);
  http.set_read_timeout(kReadTimeoutSeconds, 0);
  http.set_write_timeout(kWriteTimeoutSeconds, 0);
  install_routes(http, ctx, options.routes);
  const bool bound = options.port == 0 ? (server->port_ = http.bind_to_any_port(options.host)) > 0
                                       : http.bind_to_port(options.host, options.port);
  if (!bound) return RF_ERROR(kIo, "cannot listen on {}:{} (is the port taken?)", options.host, options.port);
  if (::listen(server->listen_fd_, kListenBacklog) != 0) {
    return RF_ERROR(kIo, "cannot deepen the listen backlog: {}", std::strerror(errno));
  }
  if (options.port != 0) server->port_ = options.port;
  return server;
}

Status HttpServer::run() {
  std::thread drainer([this] { drain(); });
  bool served = false;
  {
    const SignalWatcher watcher([this](int signo) { request_shutdown(signo); });
    ctx_.log.info("listening on http://{}:{}", options_.host, port_);
    served = http_.listen_after_bind();
    {
      const std::lock_guard lock(mutex_);
      listen_returned_ = true;
    }
    changed_.notify_all();
    request_shutdown(std::nullopt);
    drainer.join();
  }
  if (!served) return RF_ERROR(kIo, "the HTTP listener on {}:{} failed", options_.host, port_);
  return ok();
}

void HttpServer::request_shutdown(std::optional<int> signo) {
  {
    const std::lock_guard lock(mutex_);
    if (requested_) return;
    requested_ = true;
    signo_ = signo;
  }
  changed_.notify_all();
}

void HttpServer::drain() {
  std::optional<int> signo;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return requested_; });
    signo = signo_;
  }
  if (signo) {
    ctx_.log.info("{}: draining: {} request(s) in flight have {} s to finish; a second signal exits at once",
                  signal_name(*signo), ctx_.in_flight.count(), options_.shutdown_timeout.count());
  }
  ctx_.draining = true;
  ctx_.engine.shutdown(std::chrono::steady_clock::now() + options_.shutdown_timeout);
  if (!ctx_.in_flight.wait_idle(std::chrono::steady_clock::now() + kWriteGrace)) {
    ctx_.log.warn("{} response(s) still being written; stopping the listener anyway", ctx_.in_flight.count());
  }
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return listening_ || listen_returned_; });
  if (!listen_returned_) http_.stop();
  if (signo) ctx_.log.info("drained; stopping");
}

}  // namespace rocmforge::server
