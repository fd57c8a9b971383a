// A `rocmforge serve` started by a test on a free port: its port, its log,
// signals, and how it exited.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace rocmforge::server::testing {

class ServerProcess {
 public:
  // Runs `rocmforge serve -m models/stories260K.gguf --port 0 -t 1` plus
  // `extra` and waits until it says where it listens; nullptr (with the log
  // printed) when it does not within `timeout`.
  static std::unique_ptr<ServerProcess> start(const std::vector<std::string>& extra = {},
                                              std::chrono::seconds timeout = std::chrono::seconds(30));
  // Kills the server if it is still running.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  pid_t pid() const { return pid_; }

  void signal(int signo) const;
  // The exit status (128 + N when killed by signal N), or nullopt if it is
  // still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Everything it wrote to stderr (and stdout) so far.
  std::string log() const;

 private:
  ServerProcess() = default;
  void read_output(int fd);

  pid_t pid_ = -1;
  int port_ = 0;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::string log_;
  std::optional<int> exit_code_;
};

}  // namespace rocmforge::server::testing
