#include "test_support.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "testing/test_paths.h"

namespace rocmforge::chat::testing {

std::tm fixed_now() {
  std::tm t{};
  t.tm_year = 2024 - 1900;
  t.tm_mon = 6;
  t.tm_mday = 26;
  t.tm_hour = 14;
  t.tm_min = 5;
  t.tm_sec = 9;
  t.tm_wday = 5;
  t.tm_yday = 207;
  return t;
}

jinja::RenderOptions fixed_clock_options() {
  jinja::RenderOptions options;
  options.now = fixed_now;
  return options;
}

std::string read_data_text(const std::string& relative) {
  std::ifstream in(rocmforge::testing::data_path(relative), std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + relative);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

nlohmann::ordered_json read_data_json(const std::string& relative) {
  return nlohmann::ordered_json::parse(read_data_text(relative));
}

}  // namespace rocmforge::chat::testing
