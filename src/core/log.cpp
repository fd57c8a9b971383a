#include "core/log.h"

#include <chrono>

namespace rocmforge::core {
namespace {

std::string_view level_tag(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "D";
    case LogLevel::kInfo: return "I";
    case LogLevel::kWarn: return "W";
    case LogLevel::kError: return "E";
    case LogLevel::kOff: return "-";
  }
  return "?";
}

}  // namespace

Result<LogLevel> parse_log_level(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  if (name == "off") return LogLevel::kOff;
  return Error(ErrorCode::kInvalidArgument,
               fmt::format("unknown log level '{}' (debug, info, warn, error, off)", name));
}

void Logger::write(LogLevel level, std::string_view line) const {
  const auto now = std::chrono::system_clock::now();
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  const std::lock_guard lock(mutex_);
  fmt::print(sink_, "{} {}.{:03d} {}\n", level_tag(level), ms / 1000, static_cast<int>(ms % 1000), line);
  std::fflush(sink_);
}

}  // namespace rocmforge::core
