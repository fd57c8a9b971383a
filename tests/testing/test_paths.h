// Where tests find the repository's data files.
#pragma once

#include <string>

namespace rocmforge::testing {

// The repository root (set at configure time).
std::string source_path(const std::string& relative);

// A file under tests/data/ (fixtures copied from the shared reference data).
std::string data_path(const std::string& relative);

// The rocmforge CLI binary built alongside the tests.
std::string cli_path();

}  // namespace rocmforge::testing
