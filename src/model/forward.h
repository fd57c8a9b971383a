// The forward pass, written once over backend ops for every architecture in
// the table: embeddings, then per layer an attention block (norm, Q/K/V
// projections, optional biases and Q/K norms, RoPE, paged KV cache, attention,
// output projection, optional post-norm, residual) and a feed-forward block
// (norm, gated dense or mixture-of-experts FFN, optional post-norm, residual),
// then the final norm and the logits of the rows that asked for them (or,
// for greedy sampling, only each row's argmax; for sampling by candidates,
// only each row's best few and its softmax normaliser).
#pragma once

#include <memory>
#include <span>

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
  backend::KvTypes kv_types;  // F16 for K and V unless chosen (backend/kv_layout.h)
  int64_t top_k = 64;         // candidates per row of run_top_k (at most n_vocab are taken)
};

// The block-table row length a step of `n_seqs` sequences hands the ops when
// its longest needs `needed` blocks: a power of two of at least
// kMinTableKeys keys' worth, at most the context's `blocks_per_seq`. Decode
// steps of one batch size then replay one of a few recorded graphs, and
// attention sizes its key splits for the keys a step may have rather than
// for the whole context (as llama.cpp pads its KV length to 256 for the same
// reasons; 256 here too, so that a short context's decode attention is not
// split for keys it does not have). Steps of more than kBucketedSeqs sequences keep the context's
// length: their attention has blocks enough without splits, and the graphs
// of every batch size times every length would not all be kept.
inline constexpr int64_t kMinTableKeys = 256;
inline constexpr int32_t kBucketedSeqs = 8;
int32_t table_blocks(int64_t needed, int32_t n_seqs, int64_t blocks_per_seq, int64_t block_size);

// run_top_k's result, for each row of logits (Backend::top_k).
struct TopCandidates {
  int64_t k = 0;
  std::span<const float> values;  // [rows, k] the best logits, best first (NaN as -inf)
  std::span<const int32_t> ids;   // [rows, k] their columns
  std::span<const float> sums;    // [rows] sum of exp(logit - values[row, 0]) over the whole row
};

// Activation buffers of one step, each sized for max_batch_tokens rows but
// the logits and their argmax, sized for one row per sequence.
struct Activations {
  backend::Tensor x, xn, q, k, v, qkv, attn, gate_up, logits;
  int32_t* logit_ids = nullptr;  // [rows of logits] each row's argmax
  // [rows of logits, 2 * top_k + 1]: run_top_k's values [rows, top_k], ids
  // [rows, top_k] and sums [rows], one piece so that one download reads them.
  int32_t* top = nullptr;
  // Mixture of experts (empty for dense models).
  backend::Tensor router, route_weights, expert_gate, expert_up, expert_out, routed, shared_gate;
  int32_t* route_ids = nullptr;
};

class ForwardPass {
 public:
  static Result<std::unique_ptr<ForwardPass>> create(const ModelConfig& config, const ModelWeights& weights,
                                                     backend::Backend& backend, const ForwardOptions& options);

  // Runs one step. Returns the logits of batch.logit_rows(), row after row,
  // each n_vocab long; the span stays valid until the next call.
  Result<std::span<const float>> run(const Batch& batch);
  // Runs one step for greedy sampling: each of those rows is reduced to its
  // argmax on the backend (the sampler's greedy pick, backend.h), and only
  // the ids are read back, one per row; valid until the next call.
  Result<std::span<const int32_t>> run_argmax(const Batch& batch);
  // Runs one step for sampling by candidates: each row's best options.top_k
  // logits and softmax normaliser (Backend::top_k) are read back, not the
  // rows; valid until the next call.
  Result<TopCandidates> run_top_k(const Batch& batch);
  // Rows of the last step's logits, by their index among its logit rows, row
  // after row: after run_argmax or run_top_k the logits are still in backend
  // memory, and a sampler that found the candidates too few reads its row
  // here. Valid until the next call.
  Result<std::span<const float>> read_logits(std::span<const int32_t> rows);
  // Copies whole KV blocks in every layer (copy-on-write of shared blocks),
  // queued before the next step's writes. Block ids must be inside the pool.
  void copy_blocks(std::span<const backend::BlockCopy> copies);

  const backend::KvLayout& kv_layout() const { return kv_layout_; }
  const ForwardOptions& options() const { return options_; }
  size_t kv_bytes() const;

 private:
  ForwardPass(const ModelConfig& config, const ModelWeights& weights, backend::Backend& backend,
              const ForwardOptions& options);
  // What a step reduces its logits to on the backend.
  enum class Reduction { kNone, kArgmax, kTopK };

  Status allocate();
  // Checks the batch and queues its step, and the reduction of its logits.
  // Returns the number of rows of logits.
  Result<int64_t> queue_step(const Batch& batch, Reduction reduction);
  // Grows host_logits_ to `floats` floats.
  Status reserve_host_logits(size_t floats);
  backend::KvLayerView kv_layer(int64_t layer) const;
  backend::RopeParams rope_params(int64_t layer, int64_t n_heads) const;
  void attention_block(int64_t il, const LayerWeights& w, const backend::BatchView& bv, int64_t n);
  void ffn_block(const LayerWeights& w, int64_t n);
  void dense_ffn(const backend::Tensor& gate_w, const backend::Tensor* up_w, const backend::Tensor& down_w,
                 const backend::Tensor& in, const backend::Tensor& out, int64_t n);
  void moe_ffn(const ExpertWeights& e, const backend::Tensor& in, const backend::Tensor& out, int64_t n);
  // A layer's matmul over the step's rows: those from n_generated_ on are
  // prompt tokens, which the backend may take apart (Backend::matmul_prompt).
  void project(const backend::Tensor& w, const backend::Tensor& in, const backend::Tensor& out);
  // Matmuls over one input, w[i] into out[i] (Q, K and V; gate and up): the
  // generated rows of all, then the prompt rows of all, so that the products
  // of each kind stay consecutive and a backend joins them alike in every step.
  void project(std::span<const backend::Tensor> w, const backend::Tensor& in, std::span<const backend::Tensor> out);
  // Says to the backend that `in`, just written, is read only by project(w,
  // in, ...) before it is written again (Backend::read_only_by), when those
  // matmuls take all its rows at once.
  void only_projected(const backend::Tensor& in, std::span<const backend::Tensor> w);

  const ModelConfig& config_;
  const ModelWeights& weights_;
  backend::Backend& backend_;
  ForwardOptions options_;
  backend::KvLayout kv_layout_;
  const backend::Tensor* rope_factors_ = nullptr;  // rope_freqs or the LongRoPE set for this context
  int64_t n_generated_ = 0;                         // the queued step's Batch::n_generated_rows()
  int64_t n_logit_rows_ = 0;                        // the last step's rows of logits
  int64_t top_k_ = 0;                               // options_.top_k, at most n_vocab

  std::unique_ptr<backend::Buffer> kv_;
  std::unique_ptr<backend::Buffer> act_buffer_;
  std::unique_ptr<backend::Buffer> meta_;
  Activations act_;
  std::unique_ptr<backend::Buffer> host_logits_;  // backend host memory, grown to the largest step
  std::unique_ptr<backend::Buffer> host_ids_;     // backend host memory, one id per row of logits
  std::unique_ptr<backend::Buffer> host_top_;     // backend host memory, as Activations::top
};

}  // namespace rocmforge::model
