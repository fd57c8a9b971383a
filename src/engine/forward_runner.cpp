#include "engine/forward_runner.h"

#include <algorithm>

namespace rocmforge::engine {

Result<std::unique_ptr<ForwardRunner>> ForwardRunner::create(const model::Model& model, backend::Backend& backend,
                                                             const EngineOptions& options) {
  model::ForwardOptions fo;
  fo.max_batch_tokens = options.max_batch_tokens;
  fo.max_seqs = options.max_seqs;
  fo.max_seq_len = options.n_ctx;
  fo.kv_blocks = options.n_kv_blocks;
  fo.block_size = options.block_size;
  fo.kv_types = options.kv_types;
  fo.top_k = std::max<int64_t>(options.n_candidates, 1);  // 0: the engine never asks for them
  auto forward = RF_TRY(model::ForwardPass::create(model.config(), model.weights(), backend, fo));
  return std::unique_ptr<ForwardRunner>(
      new ForwardRunner(std::move(forward), static_cast<int32_t>(model.config().n_vocab), backend.prompt_rows_differ()));
}

Result<StepLogits> ForwardRunner::run(const model::Batch& batch, std::span<const backend::BlockCopy> copies,
                                      LogitsWanted wanted) {
  forward_->copy_blocks(copies);
  switch (wanted) {
    case LogitsWanted::kRows:
      return StepLogits{RF_TRY(forward_->run(batch)), {}, {}};
    case LogitsWanted::kArgmax:
      return StepLogits{{}, RF_TRY(forward_->run_argmax(batch)), {}};
    case LogitsWanted::kTopK:
      return StepLogits{{}, {}, RF_TRY(forward_->run_top_k(batch))};
  }
  return RF_ERROR(kInternal, "unknown logits request {}", static_cast<int>(wanted));
}

}  // namespace rocmforge::engine
