#include "testing/test_paths.h"

#include <cstdlib>

namespace rocmforge::testing {

std::string source_path(const std::string& relative) {
  return std::string(ROCMFORGE_SOURCE_DIR) + "/" + relative;
}

std::string data_path(const std::string& relative) { return source_path("tests/data/" + relative); }

std::string cli_path() { return std::string(ROCMFORGE_CLI_PATH); }

}  // namespace rocmforge::testing
