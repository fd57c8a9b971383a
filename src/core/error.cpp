#include "rocmforge/error.h"

#include <filesystem>

namespace rocmforge {

std::string_view error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "i/o";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kOutOfMemory: return "out of memory";
    case ErrorCode::kDevice: return "device";
    case ErrorCode::kCapacity: return "capacity";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Error::to_string() const {
  const std::string file = std::filesystem::path(where_.file).filename().string();
  return fmt::format("{}: {} ({}:{})", error_code_name(code_), message_, file, where_.line);
}

}  // namespace rocmforge
