#include "engine/event_channel.h"

#include <cassert>

namespace rocmforge::engine {

void EventChannel::push(Event event) {
  {
    const std::lock_guard lock(mutex_);
    assert(!finished_ && "an event after the finish event");
    finished_ = event.finish.has_value();
    events_.push_back(std::move(event));
  }
  ready_.notify_one();
}

std::optional<Event> EventChannel::pop(std::chrono::steady_clock::duration timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_.wait_for(lock, timeout, [&] { return !events_.empty() || ended_; }) || events_.empty()) {
    return std::nullopt;
  }
  Event event = std::move(events_.front());
  events_.pop_front();
  if (event.finish) ended_ = true;
  return event;
}

bool EventChannel::finished() const {
  const std::lock_guard lock(mutex_);
  return finished_;
}

bool EventChannel::ended() const {
  const std::lock_guard lock(mutex_);
  return ended_;
}

}  // namespace rocmforge::engine
