#include "testing/test_paths.h"

#include <cstdlib>

namespace rocmforge::testing {

std::string source_path(const std::string& relative) {
  // A test program run from another copy of the tree (a GPU machine's) is told where that copy is.
  const char* root = std::getenv("ROCMFORGE_SOURCE_DIR");
  return std::string(root != nullptr && *root != '\0' ? root : ROCMFORGE_SOURCE_DIR) + "/" + relative;
}

std::string data_path(const std::string& relative) { return source_path("tests/data/" + relative); }

std::string cli_path() { return std::string(ROCMFORGE_CLI_PATH); }

}  // namespace rocmforge::testing
