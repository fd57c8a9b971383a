#include "backend/gpu/step_graphs.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {

StepGraphs::~StepGraphs() { clear(); }

void StepGraphs::clear() {
  // Nothing can report a failure here; the graphs' memory goes with the context anyway.
  for (auto& [shape, exec] : graphs_) static_cast<void>(rt::graph_exec_destroy(exec));
  graphs_.clear();
  seen_.clear();
}

Status StepGraphs::run(uint64_t shape, rt::Stream stream, const std::function<void()>& queue_ops, bool& capturing,
                       const std::function<Status()>& ops_status) {
  if (auto it = graphs_.find(shape); it != graphs_.end()) return RF_GPU_CHECK(rt::graph_launch(it->second, stream));
  int& seen = seen_[shape];
  if (seen++ == 0 || graphs_.size() >= kMaxGraphs) {
    queue_ops();
    return ops_status();
  }
  RF_TRY(RF_GPU_CHECK(rt::begin_capture(stream)));
  capturing = true;
  queue_ops();
  capturing = false;
  rt::Graph graph = nullptr;
  const Status ended = RF_GPU_CHECK(rt::end_capture(stream, &graph));
  const Status recorded = ops_status();
  if (!ended || !recorded) {
    if (graph != nullptr) static_cast<void>(rt::graph_destroy(graph));
    return !recorded ? recorded : ended;
  }
  rt::GraphExec exec = nullptr;
  const Status made = RF_GPU_CHECK(rt::graph_instantiate(&exec, graph));
  const Status destroyed = RF_GPU_CHECK(rt::graph_destroy(graph));  // the executable graph keeps what it needs
  RF_TRY(made);
  RF_TRY(destroyed);
  graphs_.emplace(shape, exec);
  return RF_GPU_CHECK(rt::graph_launch(exec, stream));
}

}  // namespace rocmforge::backend::gpu
