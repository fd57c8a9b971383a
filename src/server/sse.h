// Server-sent events as OpenAI streams them: one `data: <json>` event per
// chunk, a blank line after each, and `data: [DONE]` at the end. The reader
// is the client's side (bench-serve, tests): it cuts a byte stream that may
// arrive in any pieces back into the events' data.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace rocmforge::server {

inline constexpr std::string_view kSseDone = "[DONE]";

// "data: <payload>\n\n". The payload must not hold a newline (compact JSON does not).
std::string sse_event(std::string_view payload);

class SseReader {
 public:
  // Appends bytes received; complete events become available from next().
  void feed(std::string_view bytes);
  // The data of the next complete event (multi-line data joined with '\n');
  // comments and fields other than `data` are skipped.
  std::optional<std::string> next();

 private:
  void take_line(std::string_view line);

  std::string buffer_;  // bytes not yet cut into lines
  std::string data_;    // the data lines of the event being read
  bool has_data_ = false;
  std::deque<std::string> events_;
};

}  // namespace rocmforge::server
