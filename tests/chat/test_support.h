// Shared by the chat tests: the fixed clock the references were rendered
// with, and reading the reference files.
#pragma once

#include <ctime>
#include <nlohmann/json.hpp>
#include <string>

#include "chat/jinja/render_options.h"

namespace rocmforge::chat::testing {

// 2024-07-26 14:05:09, a Friday: what render_refs.py's strftime_now reports.
std::tm fixed_now();

// Render options with the fixed clock.
jinja::RenderOptions fixed_clock_options();

// A JSON file under tests/data/ (keys in file order).
nlohmann::ordered_json read_data_json(const std::string& relative);
std::string read_data_text(const std::string& relative);

}  // namespace rocmforge::chat::testing
