#include "server/request_id.h"

#include <fmt/format.h>

#include <random>

namespace rocmforge::server {
RequestIds::RequestIds() : base_(std::random_device()()) {}

std::string RequestIds::next() { return fmt::format("{:08x}{:08x}", base_, counter_.fetch_add(1) + 1); }

bool acceptable_client_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace rocmforge::server
