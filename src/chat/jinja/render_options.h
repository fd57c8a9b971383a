// What bounds a render, and the clock strftime_now reads.
//
// A template comes from a model file and is hostile input like the rest of
// it: every render is bounded in output, work and depth, and exceeding a
// bound is a kCapacity error, never a hang or a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>

namespace rocmforge::chat::jinja {

struct RenderLimits {
  size_t max_output_bytes = size_t{16} << 20;  // also bounds any one string or list built
  uint64_t max_loop_iterations = 1'000'000;    // all for loops of the render together
  int max_call_depth = 64;                     // macros calling macros
  // Expressions evaluated, statements run, loop items, and strings built (a
  // step per 64 bytes): the render's total work. 20 million steps take about
  // two seconds; real templates take thousands per message.
  uint64_t max_steps = 20'000'000;
};

struct RenderOptions {
  RenderLimits limits;
  // The time strftime_now formats; the local time when empty. Tests set a
  // fixed one.
  std::function<std::tm()> now;
};

}  // namespace rocmforge::chat::jinja
