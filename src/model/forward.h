// The forward pass, written once over backend ops: embeddings, then per layer
// attention (norm, Q/K/V projections, RoPE, paged KV cache, attention, output
// projection, residual) and feed-forward (norm, gated SiLU, residual), then
// the final norm and the logits of the rows that asked for them.
#pragma once

#include <memory>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "model/batch.h"
#include "model/config.h"
#include "model/weights.h"

namespace rocmforge::model {

struct ForwardOptions {
  int64_t max_batch_tokens = 512;  // new tokens per step (prompt chunks)
  int64_t max_seqs = 64;           // sequences per step
  int64_t max_seq_len = 4096;      // positions one sequence may reach
  int64_t kv_blocks = 0;           // blocks in the pool; 0: one full sequence
  int64_t block_size = 16;
  gguf::GgmlType kv_type = gguf::GgmlType::kF16;
};

class ForwardPass {
 public:
  static Result<std::unique_ptr<ForwardPass>> create(const ModelConfig& config, const ModelWeights& weights,
                                                     backend::Backend& backend, const ForwardOptions& options);

  // Runs one step. Returns the logits of batch.logit_rows(), row after row,
  // each n_vocab long; the span stays valid until the next call.
  Result<std::span<const float>> run(const Batch& batch);
  // Copies whole KV blocks in every layer (copy-on-write of shared blocks),
  // queued before the next step's writes. Block ids must be inside the pool.
  void copy_blocks(std::span<const backend::BlockCopy> copies);

  const backend::KvLayout& kv_layout() const { return kv_layout_; }
  const ForwardOptions& options() const { return options_; }
  size_t kv_bytes() const;

 private:
  ForwardPass(const ModelConfig& config, const ModelWeights& weights, backend::Backend& backend,
              const ForwardOptions& options);
  Status allocate();
  backend::KvLayerView kv_layer(int64_t layer) const;
  void run_layer(int64_t il, const LayerWeights& w, const backend::BatchView& bv, int64_t n);

  const ModelConfig& config_;
  const ModelWeights& weights_;
  backend::Backend& backend_;
  ForwardOptions options_;
  backend::KvLayout kv_layout_;

  std::unique_ptr<backend::Buffer> kv_;
  std::unique_ptr<backend::Buffer> act_;
  std::unique_ptr<backend::Buffer> meta_;
  // Views into act_, each sized for max_batch_tokens rows.
  backend::Tensor x_, xn_, q_, k_, v_, attn_, gate_, up_, logits_;
  std::vector<float> host_logits_;
};

}  // namespace rocmforge::model
