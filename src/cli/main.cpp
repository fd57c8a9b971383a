// rocmforge: one binary, one subcommand per job (run, serve, bench, inspect, ...).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <exception>

#include "cli/command.h"

namespace rocmforge::cli {

int report_error(const Error& error) {
  std::fprintf(stderr, "rocmforge: error: %s\n", error.message().c_str());
  return 1;
}

namespace {

// llama.cpp's tools have multi-letter single-dash flags that CLI11 cannot
// declare; they are spelled out here so users can keep their habits.
std::vector<std::string> normalize_arguments(int argc, char** argv) {
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"-sys", "--system"}, {"-ctk", "--cache-type-k"}, {"-ctv", "--cache-type-v"}};
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    for (const auto& [from, to] : kAliases) {
      if (arg == from) arg = to;
    }
    args.emplace_back(arg);
  }
  std::reverse(args.begin(), args.end());  // CLI11 parses a vector from the back
  return args;
}

int run_main(int argc, char** argv) {
  CLI::App app{"rocmforge: LLM inference for GGUF models on AMD and NVIDIA GPUs and CPUs"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "rocmforge 0.1.0");

  const std::vector<Subcommand> commands = {
      add_run_command(app),
      add_bench_command(app),
      add_synth_command(app),
      add_tokenize_command(app),
      add_inspect_command(app),
      add_chat_template_command(app),
      add_quantize_command(app),
      add_serve_command(app),
      add_bench_serve_command(app),
  };

  try {
    std::vector<std::string> args = normalize_arguments(argc, argv);
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (const Subcommand& cmd : commands) {
    if (cmd.app->parsed()) {
      Status status = cmd.run();
      return status ? 0 : report_error(status.error());
    }
  }
  return 1;
}

}  // namespace
}  // namespace rocmforge::cli

int main(int argc, char** argv) {
  try {
    return rocmforge::cli::run_main(argc, argv);
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "rocmforge: error: out of memory\n");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rocmforge: internal error: %s\n", e.what());
  }
  return 1;
}
