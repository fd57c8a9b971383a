// A progress bar on one line of a terminal, redrawn in place:
//   [=========>                    ]  31%  <the caller's text>
// When the stream is not a terminal (a log file, a pipe) it draws nothing, so
// that logs do not fill with carriage returns; callers print lines instead.
#pragma once

#include <cstdio>
#include <string_view>

namespace rocmforge::cli {

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* out);
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  bool interactive() const { return interactive_; }

  // Redraws the line: `fraction` of the work (0 to 1) is done; `text` follows the bar.
  void update(double fraction, std::string_view text);

  // Ends the bar's line, so that what comes next starts on a fresh one.
  void finish();

 private:
  std::FILE* out_;
  bool interactive_;
  bool drawn_ = false;
};

}  // namespace rocmforge::cli
