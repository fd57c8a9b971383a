#include "testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace rocmforge::testing {
namespace {

using Clock = std::chrono::steady_clock;

// The child's three standard streams, parent ends first. Standard input is a
// socket so that writing to a child that has exited gives EPIPE
// (MSG_NOSIGNAL) instead of killing the test with SIGPIPE.
struct Pipes {
  std::array<int, 2> in{-1, -1};
  std::array<int, 2> out{-1, -1};
  std::array<int, 2> err{-1, -1};

  bool open() {
    return ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in.data()) == 0 &&
           ::pipe2(out.data(), O_CLOEXEC) == 0 && ::pipe2(err.data(), O_CLOEXEC) == 0;
  }
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  void close_child_ends() {
    close_fd(in[1]);
    close_fd(out[1]);
    close_fd(err[1]);
  }
  ~Pipes() {
    for (auto* pair : {&in, &out, &err}) {
      close_fd((*pair)[0]);
      close_fd((*pair)[1]);
    }
  }
};

bool read_some(int& fd, std::string& into) {
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof(buffer));
  if (n > 0) {
    into.append(buffer, static_cast<size_t>(n));
    return true;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  Pipes::close_fd(fd);  // end of stream, or an error that ends it
  return false;
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

// Feeds stdin and drains stdout/stderr until both close or the deadline passes.
bool pump(Pipes& pipes, const std::string& stdin_text, Clock::time_point deadline, RunResult& result) {
  size_t written = 0;
  if (stdin_text.empty()) Pipes::close_fd(pipes.in[0]);
  while (pipes.out[0] >= 0 || pipes.err[0] >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    std::array<pollfd, 3> fds = {pollfd{pipes.out[0], POLLIN, 0}, pollfd{pipes.err[0], POLLIN, 0},
                                 pollfd{pipes.in[0], POLLOUT, 0}};
    if (::poll(fds.data(), fds.size(), static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    if (fds[0].revents != 0) read_some(pipes.out[0], result.out);
    if (fds[1].revents != 0) read_some(pipes.err[0], result.err);
    if (fds[2].revents != 0) {
      const ssize_t n = ::send(pipes.in[0], stdin_text.data() + written, stdin_text.size() - written,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) written += static_cast<size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == stdin_text.size()) {
        Pipes::close_fd(pipes.in[0]);  // all given, or the child stopped reading
      }
    }
  }
  return true;
}

}  // namespace

RunResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text,
                      std::chrono::milliseconds timeout) {
  RunResult result;
  const auto start = Clock::now();
  Pipes pipes;
  if (argv.empty() || !pipes.open()) {
    result.exit_code = 127;
    result.err = argv.empty() ? "no command given" : std::string("cannot create pipes: ") + std::strerror(errno);
    return result;
  }
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipes.in[1], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes.out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, pipes.err[1], STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = ::posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  pipes.close_child_ends();
  if (spawned != 0) {
    result.exit_code = 127;
    result.err = "cannot start " + argv[0] + ": " + std::strerror(spawned);
    return result;
  }

  const auto deadline = start + timeout;
  bool finished = pump(pipes, stdin_text, deadline, result);
  int status = 0;
  // A child may close its outputs and keep running: wait for it up to the deadline too.
  while (finished && ::waitpid(pid, &status, WNOHANG) == 0) {
    if (Clock::now() >= deadline) {
      finished = false;
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  if (!finished) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  result.exit_code = exit_code_of(status);
  result.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return result;
}

}  // namespace rocmforge::testing
