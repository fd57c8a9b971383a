// The one thing the engine asks of a model: run a forward step over a batch
// of sequence chunks in the paged KV pool. ForwardRunner wraps the real
// forward pass; tests substitute a deterministic fake, so the scheduler and
// the KV bookkeeping are tested without a model.
#pragma once

#include <cstdint>
#include <span>

#include "backend/batch.h"
#include "model/batch.h"
#include "rocmforge/error.h"

namespace rocmforge::engine {

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual int32_t n_vocab() const = 0;

  // First copies whole KV blocks (copy-on-write: `copies` in order), then
  // runs the step. Returns the logits of batch.logit_rows(), row after row,
  // n_vocab each, valid until the next call.
  virtual Result<std::span<const float>> run(const model::Batch& batch,
                                             std::span<const backend::BlockCopy> copies) = 0;
};

}  // namespace rocmforge::engine
