// A fixed pool of worker threads for data-parallel CPU work.
//
// The forward pass dispatches dozens of short parallel ops per token, so a
// dispatch must cost microseconds: workers spin briefly on a generation counter
// before falling back to a futex wait (std::atomic::wait), and the caller works
// as thread 0 instead of idling. A failure on any thread (an exception, or an
// error Status) reaches the caller; none is swallowed.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::core {

class ThreadPool {
 public:
  // `n_threads` counts the caller: 1 means no workers at all.
  explicit ThreadPool(int n_threads);
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;
  ~ThreadPool();

  int size() const { return n_threads_; }

  // Runs fn(thread_index) once on every thread, the caller being index 0, and
  // returns when all have finished. Rethrows the first exception any thread threw.
  // Not re-entrant: fn must not call run() on the same pool.
  void run(const std::function<void(int)>& fn);

  // Like run(), for work that reports errors: returns the first failure.
  Status run_checked(const std::function<Status(int)>& fn);

  // Splits [0, n) into contiguous ranges of at least `grain` items, one per
  // thread at most, and calls fn(begin, end) on each.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop(int index);
  void execute(int index);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex failure_mutex_;
  std::exception_ptr failure_;
};

}  // namespace rocmforge::core
