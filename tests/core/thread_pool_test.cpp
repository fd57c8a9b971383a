#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace rocmforge::core {
namespace {

TEST(ThreadPool, RunsEveryIndexOnce) {
  ThreadPool pool(4);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::atomic<int>> hits(4);
    pool.run([&](int i) { hits[static_cast<size_t>(i)].fetch_add(1); });
    for (auto& h : hits) EXPECT_EQ(h.load(), 1);
  }
}

TEST(ThreadPool, ParallelForCoversRangeExactlyOnce) {
  ThreadPool pool(3);
  for (int64_t n : {1, 2, 3, 7, 100, 1001}) {
    std::vector<int> seen(static_cast<size_t>(n), 0);
    pool.parallel_for(n, 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) seen[static_cast<size_t>(i)] += 1;
    });
    EXPECT_EQ(std::accumulate(seen.begin(), seen.end(), 0), n);
    for (int v : seen) EXPECT_EQ(v, 1);
  }
}

TEST(ThreadPool, WorkerExceptionReachesCaller) {
  ThreadPool pool(3);
  EXPECT_THROW(pool.run([](int i) {
    if (i == 2) throw std::runtime_error("worker failed");
  }),
               std::runtime_error);
  // The pool still works afterwards.
  std::atomic<int> count{0};
  pool.run([&](int) { count.fetch_add(1); });
  EXPECT_EQ(count.load(), 3);
}

TEST(ThreadPool, RunCheckedReturnsWorkerError) {
  ThreadPool pool(2);
  const Status s = pool.run_checked([](int i) -> Status {
    if (i == 1) return Error(ErrorCode::kInternal, "thread 1 failed");
    return ok();
  });
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message(), "thread 1 failed");
}

TEST(ThreadPool, SingleThreadRunsInline) {
  ThreadPool pool(1);
  int calls = 0;
  pool.run([&](int i) {
    EXPECT_EQ(i, 0);
    ++calls;
  });
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace rocmforge::core
