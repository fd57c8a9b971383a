// Recording and replaying the ops of a forward step as one device graph
// (CUDA graphs / hipGraph), one graph per step shape: the launches of a
// decode step cost one graph launch instead of hundreds of kernel launches.
#pragma once

#include <cstdint>
#include <functional>
#include <unordered_map>

#include "backend/gpu/compat.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

class StepGraphs {
 public:
  StepGraphs() = default;
  ~StepGraphs();
  StepGraphs(const StepGraphs&) = delete;
  StepGraphs& operator=(const StepGraphs&) = delete;

  // Queues a step of shape `shape` on `stream`: the first time by running
  // `queue_ops` (which also sizes every scratch buffer the step needs), the
  // second time by capturing it into a graph and launching that, and after
  // that by launching the graph. `capturing` is true while queue_ops is being
  // captured; `ops_status` reports what queue_ops recorded (checked before a
  // graph is kept).
  Status run(uint64_t shape, rt::Stream stream, const std::function<void()>& queue_ops, bool& capturing,
             const std::function<Status()>& ops_status);

  size_t size() const { return graphs_.size(); }
  // Drops every graph (their buffers are gone).
  void clear();

 private:
  static constexpr size_t kMaxGraphs = 256;
  std::unordered_map<uint64_t, int> seen_;
  std::unordered_map<uint64_t, rt::GraphExec> graphs_;
};

}  // namespace rocmforge::backend::gpu
