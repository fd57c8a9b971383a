#include "engine/stop_matcher.h"

#include <algorithm>
#include <cassert>

namespace rocmforge::engine {
namespace {

// The longest suffix of `text` that is a proper prefix of `stop`.
size_t partial_suffix(std::string_view text, std::string_view stop) {
  for (size_t n = std::min(text.size(), stop.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == stop.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

StopMatcher::StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {
  assert(std::none_of(stops_.begin(), stops_.end(), [](const std::string& s) { return s.empty(); }));
}

StopMatcher::Output StopMatcher::push(std::string_view piece) {
  held_ += piece;
  Output out;
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) {
    const size_t at = held_.find(stop);
    if (at < first) {
      first = at;
      out.matched = stop;
    }
  }
  if (out.matched) {
    out.text = held_.substr(0, first);
    held_.clear();
    return out;
  }
  // A held suffix always starts where a stop string starts: on a character
  // boundary, so the text emitted stays valid UTF-8.
  size_t keep = 0;
  for (const std::string& stop : stops_) keep = std::max(keep, partial_suffix(held_, stop));
  out.text = held_.substr(0, held_.size() - keep);
  held_.erase(0, held_.size() - keep);
  return out;
}

std::string StopMatcher::flush() {
  std::string rest;
  rest.swap(held_);
  return rest;
}

}  // namespace rocmforge::engine
