// Stop strings over streamed text. Text arrives in pieces (one per token), so
// a stop string may straddle pieces: whatever could still be the start of a
// stop string is held back until the next piece decides. The stop string
// itself, and everything after it, is never emitted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rocmforge::engine {

class StopMatcher {
 public:
  // `stops` must not contain empty strings.
  explicit StopMatcher(std::vector<std::string> stops);

  struct Output {
    std::string text;                    // safe to emit now
    std::optional<std::string> matched;  // the stop string found: generation ends
  };
  // Adds a piece of generated text.
  Output push(std::string_view piece);
  // Generation ended otherwise: the text held back, all of it.
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string held_;
};

}  // namespace rocmforge::engine
