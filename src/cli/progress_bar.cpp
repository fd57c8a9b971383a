#include "cli/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <string>

#include <fmt/format.h>

namespace rocmforge::cli {

ProgressBar::ProgressBar(std::FILE* out) : out_(out), interactive_(isatty(fileno(out)) == 1) {}

void ProgressBar::update(double fraction, std::string_view text) {
  if (!interactive_) return;
  constexpr int kWidth = 30;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kWidth);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kWidth) bar += '>';
  bar.resize(kWidth, ' ');
  // "\r" returns to the line's start; "\x1b[K" erases what a longer previous text left.
  fmt::print(out_, "\r[{}] {:3.0f}%  {}\x1b[K", bar, fraction * 100, text);
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!drawn_) return;
  std::fputc('\n', out_);
  std::fflush(out_);
  drawn_ = false;
}

}  // namespace rocmforge::cli
