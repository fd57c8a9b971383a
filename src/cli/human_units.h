// Sizes and counts for people: "1.13 MiB", "292.8 K".
#pragma once

#include <cstdint>
#include <string>

namespace rocmforge::cli {

// Binary units, two decimals: "512 B", "1.13 MiB", "4.21 GiB".
std::string human_bytes(uint64_t bytes);

// Decimal units: "950", "292.8 K", "6.74 M", "8.03 B".
std::string human_count(uint64_t n);

}  // namespace rocmforge::cli
