#include "server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

#include "testing/test_paths.h"

extern char** environ;

namespace rocmforge::server::testing {

std::unique_ptr<ServerProcess> ServerProcess::start(const std::vector<std::string>& extra, std::chrono::seconds timeout) {
  std::vector<std::string> args = {rocmforge::testing::cli_path(), "serve", "-m",
                                   rocmforge::testing::source_path("models/stories260K.gguf"), "--port", "0", "-t", "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return nullptr;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::unique_ptr<ServerProcess> p(new ServerProcess());
  const int rc = posix_spawn(&p->pid_, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    std::fprintf(stderr, "cannot start %s\n", argv[0]);
    return nullptr;
  }
  p->reader_ = std::thread([raw = p.get(), fd = fds[0]] { raw->read_output(fd); });

  const std::regex listening(R"(listening on http://[^:]+:([0-9]+))");
  std::unique_lock lock(p->mutex_);
  const bool up = p->changed_.wait_for(lock, timeout, [&] {
    std::smatch m;
    if (std::regex_search(p->log_, m, listening)) p->port_ = std::stoi(m[1]);
    return p->port_ != 0 || p->exit_code_.has_value();
  });
  if (!up || p->port_ == 0) {
    std::fprintf(stderr, "rocmforge serve did not start; its output:\n%s\n", p->log_.c_str());
    return nullptr;
  }
  return p;
}

void ServerProcess::read_output(int fd) {
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const std::lock_guard lock(mutex_);
    log_.append(buffer, static_cast<size_t>(n));
    changed_.notify_all();
  }
  ::close(fd);
  // The output closes when the server exits: reap it.
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  const std::lock_guard lock(mutex_);
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  changed_.notify_all();
}

ServerProcess::~ServerProcess() {
  if (!wait_exit(std::chrono::milliseconds(0))) ::kill(pid_, SIGKILL);
  if (reader_.joinable()) reader_.join();
}

void ServerProcess::signal(int signo) const { ::kill(pid_, signo); }

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return exit_code_.has_value(); });
  return exit_code_;
}

std::string ServerProcess::log() const {
  const std::lock_guard lock(mutex_);
  return log_;
}

}  // namespace rocmforge::server::testing
