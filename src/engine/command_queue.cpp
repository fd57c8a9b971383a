#include "engine/command_queue.h"

namespace rocmforge::engine {

bool CommandQueue::push(Command command) {
  {
    const std::lock_guard lock(mutex_);
    if (closed_) return false;
    commands_.push_back(std::move(command));
  }
  ready_.notify_one();
  return true;
}

std::vector<Command> CommandQueue::wait_take(std::optional<Clock::time_point> deadline) {
  std::unique_lock lock(mutex_);
  auto queued = [&] { return !commands_.empty(); };
  if (deadline) {
    ready_.wait_until(lock, *deadline, queued);
  } else {
    ready_.wait(lock, queued);
  }
  std::vector<Command> out;
  out.swap(commands_);
  return out;
}

std::vector<Command> CommandQueue::take() {
  const std::lock_guard lock(mutex_);
  std::vector<Command> out;
  out.swap(commands_);
  return out;
}

std::vector<Command> CommandQueue::close() {
  const std::lock_guard lock(mutex_);
  closed_ = true;
  std::vector<Command> out;
  out.swap(commands_);
  return out;
}

}  // namespace rocmforge::engine
