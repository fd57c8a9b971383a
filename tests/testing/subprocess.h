// Runs a program as a child process and collects its exit status, output and
// run time: for tests that drive the rocmforge CLI end to end.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace rocmforge::testing {

struct RunResult {
  int exit_code = 0;       // the exit status; 128 + N when killed by signal N; 127 when it could not start
  bool timed_out = false;  // killed for running past the timeout
  std::string out;         // standard output
  std::string err;         // standard error (or why it could not start)
  std::chrono::milliseconds elapsed{0};
};

// Runs argv[0] (looked up in PATH when it has no '/') with `argv`, feeding
// `stdin_text` to its standard input, and kills it after `timeout`.
RunResult run_command(const std::vector<std::string>& argv, const std::string& stdin_text = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace rocmforge::testing
