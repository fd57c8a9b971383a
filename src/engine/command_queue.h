// The one way into the engine thread: submit, cancel and shutdown commands.
// Producers are any threads; the consumer is the engine thread, which sleeps
// here (on a condition variable, never polling) when it has nothing to run.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "engine/sequence.h"

namespace rocmforge::engine {

struct SubmitCommand {
  std::unique_ptr<Sequence> seq;
};
struct CancelCommand {
  uint64_t serial;
};
struct ShutdownCommand {
  Clock::time_point deadline;
};
using Command = std::variant<SubmitCommand, CancelCommand, ShutdownCommand>;

class CommandQueue {
 public:
  // False once the queue is closed (the engine thread has ended).
  bool push(Command command);
  // Everything queued, waiting for at least one command until `deadline`
  // (forever when nullopt). May return nothing when the deadline passes.
  std::vector<Command> wait_take(std::optional<Clock::time_point> deadline);
  // Everything queued, without waiting.
  std::vector<Command> take();
  // Refuses further commands and returns those still queued.
  std::vector<Command> close();

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<Command> commands_;
  bool closed_ = false;
};

}  // namespace rocmforge::engine
