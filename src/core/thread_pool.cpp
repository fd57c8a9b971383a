#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>
#include <optional>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace rocmforge::core {
namespace {

// Spinning bridges the gap between two ops of one forward pass without a
// futex round trip; it is bounded in time (a PAUSE costs 10 to 140 cycles
// depending on the CPU), and short, because on an oversubscribed machine a
// spinning thread takes the core from the thread it is waiting for.
constexpr auto kSpinTime = std::chrono::microseconds(30);

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#endif
}

// Spins while `pending` holds, up to kSpinTime; returns whether it still holds.
template <class Pending>
bool spin_while(Pending pending) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (int i = 0; pending(); ++i) {
    cpu_relax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() >= deadline) return pending();
  }
  return false;
}

}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::execute(int index) {
  try {
    (*task_)(index);
  } catch (...) {
    const std::lock_guard lock(failure_mutex_);
    if (!failure_) failure_ = std::current_exception();
  }
}

void ThreadPool::worker_loop(int index) {
  uint32_t seen = 0;
  for (;;) {
    spin_while([&] { return generation_.load(std::memory_order_acquire) == seen; });
    uint32_t gen = generation_.load(std::memory_order_acquire);
    while (gen == seen) {
      generation_.wait(seen, std::memory_order_acquire);
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load(std::memory_order_acquire)) return;
    execute(index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

void ThreadPool::run(const std::function<void(int)>& fn) {
  if (n_threads_ == 1) {
    fn(0);
    return;
  }
  task_ = &fn;
  failure_ = nullptr;
  pending_.store(n_threads_ - 1, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  execute(0);
  spin_while([&] { return pending_.load(std::memory_order_acquire) != 0; });
  int left = pending_.load(std::memory_order_acquire);
  while (left != 0) {
    pending_.wait(left, std::memory_order_acquire);
    left = pending_.load(std::memory_order_acquire);
  }
  task_ = nullptr;
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

Status ThreadPool::run_checked(const std::function<Status(int)>& fn) {
  std::mutex mutex;
  std::optional<Error> first;
  run([&](int index) {
    Status status = fn(index);
    if (!status) {
      const std::lock_guard lock(mutex);
      if (!first) first = std::move(status).error();
    }
  });
  if (first) return std::move(*first);
  return ok();
}

void ThreadPool::parallel_for(int64_t n, int64_t grain,
                              const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  const int64_t max_chunks = std::max<int64_t>(1, n / std::max<int64_t>(1, grain));
  const int64_t n_chunks = std::min<int64_t>(n_threads_, max_chunks);
  if (n_chunks == 1) {
    fn(0, n);
    return;
  }
  run([&](int index) {
    if (index >= n_chunks) return;
    const int64_t begin = n * index / n_chunks;
    const int64_t end = n * (index + 1) / n_chunks;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace rocmforge::core
