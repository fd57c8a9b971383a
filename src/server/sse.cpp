#include "server/sse.h"

namespace rocmforge::server {

std::string sse_event(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 8);
  out += "data: ";
  out += payload;
  out += "\n\n";
  return out;
}

void SseReader::feed(std::string_view bytes) {
  buffer_ += bytes;
  size_t start = 0;
  for (size_t nl = buffer_.find('\n', start); nl != std::string::npos; nl = buffer_.find('\n', start)) {
    std::string_view line(buffer_.data() + start, nl - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    take_line(line);
    start = nl + 1;
  }
  buffer_.erase(0, start);
}

// The event-stream grammar: a blank line ends an event; "field: value" or
// "field:value"; a line starting with ':' is a comment.
void SseReader::take_line(std::string_view line) {
  if (line.empty()) {
    if (has_data_) events_.push_back(std::move(data_));
    data_.clear();
    has_data_ = false;
    return;
  }
  if (line.front() == ':') return;
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  if (field != "data") return;
  std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (has_data_) data_ += '\n';
  data_ += value;
  has_data_ = true;
}

std::optional<std::string> SseReader::next() {
  if (events_.empty()) return std::nullopt;
  std::string event = std::move(events_.front());
  events_.pop_front();
  return event;
}

}  // namespace rocmforge::server
