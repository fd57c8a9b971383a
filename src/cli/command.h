// How the CLI's subcommands plug into main(): each adds its options to the
// root app and returns what to run when the user picked it.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::cli {

struct Subcommand {
  CLI::App* app = nullptr;
  std::function<Status()> run;
};

Subcommand add_run_command(CLI::App& root);
Subcommand add_bench_command(CLI::App& root);
Subcommand add_synth_command(CLI::App& root);
Subcommand add_tokenize_command(CLI::App& root);
Subcommand add_inspect_command(CLI::App& root);
Subcommand add_chat_template_command(CLI::App& root);
Subcommand add_quantize_command(CLI::App& root);
Subcommand add_serve_command(CLI::App& root);
Subcommand add_bench_serve_command(CLI::App& root);

// Prints "rocmforge: <message>" on stderr and gives the process exit code (1).
int report_error(const Error& error);

}  // namespace rocmforge::cli
