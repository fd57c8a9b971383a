// The one thing the engine asks of a model: run a forward step over a batch
// of sequence chunks in the paged KV pool. ForwardRunner wraps the real
// forward pass; tests substitute a deterministic fake, so the scheduler and
// the KV bookkeeping are tested without a model.
#pragma once

#include <cstdint>
#include <span>

#include "backend/batch.h"
#include "model/batch.h"
#include "model/forward.h"
#include "rocmforge/error.h"

namespace rocmforge::engine {

// What the engine reads of a step's rows of logits.
enum class LogitsWanted {
  kRows,    // every row whole: sampling, penalties, log-probabilities
  kArgmax,  // only each row's greedy token, which the model may pick where the logits are
  kTopK,    // only each row's best few logits and softmax normaliser (sampling by candidates)
};

// A step's result for batch.logit_rows(), row after row, valid until the next step.
struct StepLogits {
  std::span<const float> rows;     // kRows: n_vocab floats per row
  std::span<const int32_t> argmax;  // kArgmax: the id of each row's largest logit, the lowest on ties, NaN as -inf
  model::TopCandidates top;          // kTopK: each row's best logits (Backend::top_k)
};

class ModelRunner {
 public:
  virtual ~ModelRunner() = default;

  virtual int32_t n_vocab() const = 0;

  // First copies whole KV blocks (copy-on-write: `copies` in order), then
  // runs the step and returns what `wanted` names.
  virtual Result<StepLogits> run(const model::Batch& batch, std::span<const backend::BlockCopy> copies,
                                 LogitsWanted wanted) = 0;
  // Whole rows of the last step's logits, by index among its rows, row after
  // row: for the rows whose candidates did not settle the draw. Valid until
  // the next call of either method.
  virtual Result<std::span<const float>> read_rows(std::span<const int32_t> rows) = 0;
  // Whether a token's K/V depends on its being a prompt or a generated token
  // (Backend::prompt_rows_differ): then only prompt tokens' blocks may stand
  // in for another request's prompt in the prefix cache.
  virtual bool prompt_rows_differ() const { return false; }
};

}  // namespace rocmforge::engine
