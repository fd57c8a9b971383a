#include "cli/human_units.h"

#include <array>

#include <fmt/format.h>

namespace rocmforge::cli {

std::string human_bytes(uint64_t bytes) {
  constexpr std::array kUnits = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return fmt::format("{} B", bytes);
  double value = static_cast<double>(bytes) / 1024;
  size_t unit = 0;
  while (value >= 1023.995 && unit + 1 < kUnits.size()) {  // never "1024.00 KiB"
    value /= 1024;
    ++unit;
  }
  return fmt::format("{:.2f} {}", value, kUnits[unit]);
}

std::string human_count(uint64_t n) {
  // Each bound is where the rounded value would reach 1000 of its unit.
  if (n < 1000) return fmt::format("{}", n);
  const auto value = static_cast<double>(n);
  if (value < 999.95e3) return fmt::format("{:.1f} K", value / 1e3);
  if (value < 999.995e6) return fmt::format("{:.2f} M", value / 1e6);
  if (value < 999.995e9) return fmt::format("{:.2f} B", value / 1e9);
  return fmt::format("{:.2f} T", value / 1e12);
}

}  // namespace rocmforge::cli
