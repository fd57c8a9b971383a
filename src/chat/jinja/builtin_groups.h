// The groups of built-ins, each defined in its own file; builtins.cpp looks
// names up across them.
#pragma once

#include <span>

#include "chat/jinja/builtins.h"

namespace rocmforge::chat::jinja {

std::span<const FilterEntry> text_filters();      // filters_text.cpp
std::span<const FilterEntry> sequence_filters();  // filters_sequence.cpp
std::span<const FilterEntry> value_filters();     // filters_value.cpp
std::span<const TestEntry> builtin_tests();       // tests.cpp

}  // namespace rocmforge::chat::jinja
