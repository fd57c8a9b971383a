// The caller's side of one submitted request: its stream of events and a way
// to cancel it. Dropping the last reference to an unfinished handle cancels
// the request too (a client that went away), so its KV blocks are freed at
// the engine's next step.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "engine/event_channel.h"

namespace rocmforge::engine {

class CommandQueue;

class RequestHandle {
 public:
  RequestHandle(std::string id, uint64_t serial, std::shared_ptr<EventChannel> channel,
                std::weak_ptr<CommandQueue> commands);
  ~RequestHandle();
  RequestHandle(const RequestHandle&) = delete;
  RequestHandle& operator=(const RequestHandle&) = delete;

  const std::string& id() const { return id_; }

  // The next event, waiting up to `timeout`. nullopt when none came in time,
  // or when the stream has ended (done() tells which). Thread-safe, but
  // meant for one consumer.
  std::optional<Event> next(std::chrono::steady_clock::duration timeout);
  // The event carrying Finish has been returned: nothing more will come.
  bool done() const { return channel_->ended(); }

  // Asks the engine to stop this request: the stream ends with kCancelled
  // (unless it finished first). Thread-safe, idempotent, never blocks; a
  // no-op once the engine is gone.
  void cancel();

 private:
  std::string id_;
  uint64_t serial_;  // the engine's key for this request
  std::shared_ptr<EventChannel> channel_;
  std::weak_ptr<CommandQueue> commands_;
};

}  // namespace rocmforge::engine
