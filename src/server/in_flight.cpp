#include "server/in_flight.h"

namespace rocmforge::server {

InFlight::Ticket InFlight::enter() {
  {
    const std::lock_guard lock(mutex_);
    ++count_;
  }
  // The deleter only counts; the pointer itself is never read. The counter
  // must outlive every ticket (the server joins its HTTP threads first).
  return Ticket(this, [](InFlight* self) { self->leave(); });
}

void InFlight::leave() {
  const std::lock_guard lock(mutex_);
  if (--count_ == 0) idle_.notify_all();
}

bool InFlight::wait_idle(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  return idle_.wait_until(lock, deadline, [&] { return count_ == 0; });
}

int InFlight::count() const {
  const std::lock_guard lock(mutex_);
  return count_;
}

}  // namespace rocmforge::server
