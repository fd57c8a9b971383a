// One sequence generating alone: the KV cache is the whole pool and the block
// table is the identity. `rocmforge run` and `rocmforge bench` use it; the
// server's engine schedules many sequences instead.
#pragma once

#include <algorithm>
#include <span>
#include <vector>

#include "model/forward.h"

namespace rocmforge::engine {

class Session {
 public:
  // `forward` must have been created with room for one sequence of n_ctx positions.
  Session(model::ForwardPass& forward, int64_t n_ctx);

  // Appends tokens to the sequence, in chunks of the forward pass's batch
  // size, and returns the logits after the last one (n_vocab floats, valid
  // until the next call). kCapacity when the context would overflow.
  // `generated`: tokens the model produced rather than a prompt's (a
  // backend may compute the two apart: Backend::matmul_prompt).
  Result<std::span<const float>> append(std::span<const int32_t> tokens, bool generated = false);
  // As append, with the last row reduced on the backend, which reads back
  // only its argmax (ForwardPass::run_argmax) ...
  Result<int32_t> append_argmax(std::span<const int32_t> tokens, bool generated = false);
  // ... or its best candidates (ForwardPass::run_top_k; valid until the next call).
  Result<model::TopCandidates> append_top_k(std::span<const int32_t> tokens, bool generated = false);
  // The last row of logits of append_argmax or append_top_k, read back whole.
  Result<std::span<const float>> read_last_row();

  // Candidates append_top_k reads back (ForwardOptions::top_k).
  size_t n_candidates() const { return static_cast<size_t>(forward_.options().top_k); }
  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return n_ctx_; }
  // Forgets the sequence (its KV entries are simply overwritten later).
  void reset() { n_past_ = 0; }
  // Keeps only the first n positions (a conversation whose earlier tokens
  // changed is recomputed from where it differs).
  void truncate(int64_t n) { n_past_ = std::min(n_past_, std::max<int64_t>(0, n)); }

 private:
  // Runs every chunk of `tokens` but the last and leaves that one in batch_;
  // returns its size, for the caller to add to n_past_ once it has run.
  Result<int64_t> prepare_last(std::span<const int32_t> tokens, bool generated);

  model::ForwardPass& forward_;
  int64_t n_ctx_;
  int64_t n_past_ = 0;
  std::vector<int32_t> block_table_;
  model::Batch batch_;
};

}  // namespace rocmforge::engine
