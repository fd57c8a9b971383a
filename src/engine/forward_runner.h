// The ModelRunner of a real model: the forward pass over its paged KV pool.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "engine/engine.h"
#include "engine/model_runner.h"
#include "model/forward.h"
#include "model/model.h"

namespace rocmforge::engine {

class ForwardRunner final : public ModelRunner {
 public:
  // Allocates the KV pool (options.n_kv_blocks blocks) and the step buffers.
  static Result<std::unique_ptr<ForwardRunner>> create(const model::Model& model, backend::Backend& backend,
                                                       const EngineOptions& options);

  int32_t n_vocab() const override { return n_vocab_; }
  bool prompt_rows_differ() const override { return prompt_rows_differ_; }
  Result<StepLogits> run(const model::Batch& batch, std::span<const backend::BlockCopy> copies,
                         LogitsWanted wanted) override;
  Result<std::span<const float>> read_rows(std::span<const int32_t> rows) override {
    return forward_->read_logits(rows);
  }

 private:
  ForwardRunner(std::unique_ptr<model::ForwardPass> forward, int32_t n_vocab, bool prompt_rows_differ)
      : forward_(std::move(forward)), n_vocab_(n_vocab), prompt_rows_differ_(prompt_rows_differ) {}

  std::unique_ptr<model::ForwardPass> forward_;
  int32_t n_vocab_;
  bool prompt_rows_differ_;
};

}  // namespace rocmforge::engine
