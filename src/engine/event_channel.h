// The stream from the engine thread to one request's consumer: the engine
// pushes events, the consumer waits for them with a timeout. The only lock
// between them is this channel's own.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

#include "engine/request.h"

namespace rocmforge::engine {

class EventChannel {
 public:
  // Engine side. Events after the one carrying `finish` are a bug.
  void push(Event event);

  // Consumer side: the next event, waiting up to `timeout`; nullopt when none
  // came in time or the stream has ended (then ended() is true).
  std::optional<Event> pop(std::chrono::steady_clock::duration timeout);
  // The finish event has been pushed (it may still be queued).
  bool finished() const;
  // The finish event has been popped: nothing more will come.
  bool ended() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Event> events_;
  bool finished_ = false;
  bool ended_ = false;
};

}  // namespace rocmforge::engine
