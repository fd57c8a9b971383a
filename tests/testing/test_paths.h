// Where tests find the repository's data files.
#pragma once

#include <string>

namespace rocmforge::testing {

// A file under the repository root: $ROCMFORGE_SOURCE_DIR when set, else
// the root set at configure time.
std::string source_path(const std::string& relative);

// A file under tests/data/ (fixtures copied from the shared reference data).
std::string data_path(const std::string& relative);

// The rocmforge CLI binary built alongside the tests.
std::string cli_path();

}  // namespace rocmforge::testing
