// Counts the generation requests being answered, so a shutdown can wait
// until the last one has been written before it closes the listener.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

namespace rocmforge::server {

class InFlight {
 public:
  // Held while a request is answered; its end (last copy gone) counts it out.
  using Ticket = std::shared_ptr<void>;

  Ticket enter();
  // True once none is in flight, false if `deadline` came first.
  bool wait_idle(std::chrono::steady_clock::time_point deadline);
  int count() const;

 private:
  void leave();

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  int count_ = 0;
};

}  // namespace rocmforge::server
