#include "server/signals.h"

#include <pthread.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

namespace rocmforge::server {
namespace {

sigset_t shutdown_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

Status block_shutdown_signals() {
  const sigset_t set = shutdown_set();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr); rc != 0) {
    return RF_ERROR(kInternal, "cannot block SIGINT and SIGTERM: {}", std::strerror(rc));
  }
  if (std::signal(SIGPIPE, SIG_IGN) == SIG_ERR) return RF_ERROR(kInternal, "cannot ignore SIGPIPE: {}", std::strerror(errno));
  return ok();
}

SignalWatcher::SignalWatcher(std::function<void(int)> on_first)
    : on_first_(std::move(on_first)), thread_([this] { run(); }) {}

SignalWatcher::~SignalWatcher() {
  quit_ = true;
  // A SIGTERM aimed at the watcher alone wakes its sigwait(); quit_ tells it
  // that this one is not the user's.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void SignalWatcher::run() {
  const sigset_t set = shutdown_set();
  bool seen = false;
  for (;;) {
    int signo = 0;
    if (sigwait(&set, &signo) != 0) continue;
    if (quit_) return;
    if (seen) std::_Exit(128 + signo);
    seen = true;
    on_first_(signo);
  }
}

}  // namespace rocmforge::server
