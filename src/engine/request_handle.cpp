#include "engine/request_handle.h"

#include "engine/command_queue.h"

namespace rocmforge::engine {

RequestHandle::RequestHandle(std::string id, uint64_t serial, std::shared_ptr<EventChannel> channel,
                             std::weak_ptr<CommandQueue> commands)
    : id_(std::move(id)), serial_(serial), channel_(std::move(channel)), commands_(std::move(commands)) {}

RequestHandle::~RequestHandle() {
  if (!channel_->finished()) cancel();
}

std::optional<Event> RequestHandle::next(std::chrono::steady_clock::duration timeout) {
  return channel_->pop(timeout);
}

void RequestHandle::cancel() {
  if (const std::shared_ptr<CommandQueue> commands = commands_.lock()) commands->push(CancelCommand{serial_});
}

}  // namespace rocmforge::engine
