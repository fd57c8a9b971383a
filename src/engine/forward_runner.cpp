#include "engine/forward_runner.h"

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
  auto forward = RF_TRY(model::ForwardPass::create(model.config(), model.weights(), backend, fo));
  return std::unique_ptr<ForwardRunner>(
      new ForwardRunner(std::move(forward), static_cast<int32_t>(model.config().n_vocab), backend.prompt_rows_differ()));
}

Result<StepLogits> ForwardRunner::run(const model::Batch& batch, std::span<const backend::BlockCopy> copies,
                                      LogitsWanted wanted) {
  forward_->copy_blocks(copies);
  if (wanted == LogitsWanted::kArgmax) return StepLogits{{}, RF_TRY(forward_->run_argmax(batch))};
  return StepLogits{RF_TRY(forward_->run(batch)), {}};
}

}  // namespace rocmforge::engine
