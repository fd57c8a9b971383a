// A small leveled logger. It is an object, passed to whoever logs, so that two
// engines in one process can log differently and tests can capture output.
#pragma once

#include <cstdio>
#include <mutex>
#include <string_view>

#include <fmt/format.h>

#include "rocmforge/error.h"

namespace rocmforge::core {

enum class LogLevel { kDebug, kInfo, kWarn, kError, kOff };

Result<LogLevel> parse_log_level(std::string_view name);

class Logger {
 public:
  explicit Logger(LogLevel level = LogLevel::kInfo, std::FILE* sink = stderr)
      : level_(level), sink_(sink) {}

  LogLevel level() const { return level_; }
  bool enabled(LogLevel level) const { return level >= level_ && level_ != LogLevel::kOff; }

  template <class... Args>
  void debug(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kDebug, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kInfo, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void warn(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kWarn, f, std::forward<Args>(args)...);
  }
  template <class... Args>
  void error(fmt::format_string<Args...> f, Args&&... args) const {
    log(LogLevel::kError, f, std::forward<Args>(args)...);
  }

  template <class... Args>
  void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) const {
    if (!enabled(level)) return;
    write(level, fmt::format(f, std::forward<Args>(args)...));
  }

  // Writes one whole line; lines from different threads never interleave.
  void write(LogLevel level, std::string_view line) const;

 private:
  LogLevel level_;
  std::FILE* sink_;
  mutable std::mutex mutex_;
};

}  // namespace rocmforge::core
