// SIGINT and SIGTERM without an asynchronous handler: the signals are
// blocked in every thread and one watcher thread takes them with sigwait(),
// so what a signal starts runs as ordinary code. Threads inherit the mask of
// the thread that creates them, so block_shutdown_signals() must run before
// the process starts any thread (the backend's pool, the engine, httplib's).
//
// The first signal calls on_first(signo) on the watcher thread. A second one
// ends the process at once, with exit status 128 + signo (what a shell
// reports for a death by that signal: 130 for SIGINT, 143 for SIGTERM).
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "rocmforge/error.h"

namespace rocmforge::server {

// Blocks SIGINT and SIGTERM in the calling thread (and so in the threads it
// starts later) and ignores SIGPIPE (a client that closed its connection
// makes a write fail instead of killing the process).
Status block_shutdown_signals();

class SignalWatcher {
 public:
  explicit SignalWatcher(std::function<void(int)> on_first);
  // Stops the watcher and waits for it.
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

 private:
  void run();

  std::function<void(int)> on_first_;
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

}  // namespace rocmforge::server
