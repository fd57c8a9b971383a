#include "model/forward.h"

#include <cmath>
#include <cstring>

namespace rocmforge::model {
namespace {

using backend::Tensor;

size_t kv_elem_bytes(gguf::GgmlType type) { return type == gguf::GgmlType::kF16 ? 2 : 4; }

// Carves F32 tensors out of one buffer, each row-aligned to 64 bytes.
class Carver {
 public:
  explicit Carver(std::byte* base) : base_(base) {}
  Tensor take(int64_t rows, int64_t cols) {
    Tensor t = backend::f32_tensor(reinterpret_cast<float*>(base_ + offset_), rows, cols);
    offset_ += (static_cast<size_t>(rows * cols) * sizeof(float) + 63) / 64 * 64;
    return t;
  }
  size_t used() const { return offset_; }

 private:
  std::byte* base_;
  size_t offset_ = 0;
};

}  // namespace

ForwardPass::ForwardPass(const ModelConfig& config, const ModelWeights& weights, backend::Backend& backend,
                         const ForwardOptions& options)
    : config_(config), weights_(weights), backend_(backend), options_(options) {}

Result<std::unique_ptr<ForwardPass>> ForwardPass::create(const ModelConfig& config, const ModelWeights& weights,
                                                         backend::Backend& backend, const ForwardOptions& options) {
  if (options.max_batch_tokens <= 0 || options.max_seqs <= 0 || options.max_seq_len <= 0 ||
      options.block_size <= 0) {
    return RF_ERROR(kInvalidArgument, "forward options must be positive");
  }
  if (options.kv_type != gguf::GgmlType::kF16 && options.kv_type != gguf::GgmlType::kF32) {
    return RF_ERROR(kUnsupported, "KV cache type {} is not supported (f16, f32)",
                    gguf::ggml_type_name(options.kv_type));
  }
  std::unique_ptr<ForwardPass> pass(new ForwardPass(config, weights, backend, options));
  RF_TRY(pass->allocate());
  return pass;
}

size_t ForwardPass::kv_bytes() const { return kv_ ? kv_->size() : 0; }

Status ForwardPass::allocate() {
  const ModelConfig& c = config_;
  const int64_t blocks_per_seq = (options_.max_seq_len + options_.block_size - 1) / options_.block_size;
  kv_layout_ = {c.n_layer, c.n_head_kv, c.head_dim, c.head_dim_v, options_.block_size,
                options_.kv_blocks > 0 ? options_.kv_blocks : blocks_per_seq, options_.kv_type};
  const size_t slot_bytes = static_cast<size_t>(c.k_width() + c.v_width()) * kv_elem_bytes(options_.kv_type);
  kv_ = RF_TRY(backend_.allocate(slot_bytes * static_cast<size_t>(kv_layout_.slots() * c.n_layer)));

  const int64_t t = options_.max_batch_tokens;
  const int64_t max_logit_rows = t;
  const int64_t widths[] = {c.n_embd, c.n_embd, c.q_width(), c.k_width(), c.v_width(), c.n_head * c.head_dim_v,
                            c.n_ff,   c.n_ff};
  size_t bytes = 0;
  for (int64_t w : widths) bytes += (static_cast<size_t>(t * w) * sizeof(float) + 63) / 64 * 64;
  bytes += static_cast<size_t>(max_logit_rows * c.n_vocab) * sizeof(float) + 64;
  act_ = RF_TRY(backend_.allocate(bytes));
  Carver carve(static_cast<std::byte*>(act_->data()));
  x_ = carve.take(t, c.n_embd);
  xn_ = carve.take(t, c.n_embd);
  q_ = carve.take(t, c.q_width());
  k_ = carve.take(t, c.k_width());
  v_ = carve.take(t, c.v_width());
  attn_ = carve.take(t, c.n_head * c.head_dim_v);
  gate_ = carve.take(t, c.n_ff);
  up_ = carve.take(t, c.n_ff);
  logits_ = carve.take(max_logit_rows, c.n_vocab);

  // tokens, positions, slots, token_seq, logit rows: t each; block tables.
  const size_t meta_ints = static_cast<size_t>(5 * t + options_.max_seqs * blocks_per_seq);
  meta_ = RF_TRY(backend_.allocate(meta_ints * sizeof(int32_t)));
  return ok();
}

backend::KvLayerView ForwardPass::kv_layer(int64_t layer) const {
  const size_t elem = kv_elem_bytes(kv_layout_.type);
  const size_t k_bytes = static_cast<size_t>(kv_layout_.slots() * config_.k_width()) * elem;
  const size_t v_bytes = static_cast<size_t>(kv_layout_.slots() * config_.v_width()) * elem;
  std::byte* base = static_cast<std::byte*>(kv_->data()) + static_cast<size_t>(layer) * (k_bytes + v_bytes);
  return {base, base + k_bytes};
}

void ForwardPass::run_layer(int64_t il, const LayerWeights& w, const backend::BatchView& bv, int64_t n) {
  const ModelConfig& c = config_;
  backend::Backend& be = backend_;
  const Tensor x = x_.slice_rows(0, n), xn = xn_.slice_rows(0, n);
  const Tensor q = q_.slice_rows(0, n), k = k_.slice_rows(0, n), v = v_.slice_rows(0, n);
  const Tensor attn = attn_.slice_rows(0, n), gate = gate_.slice_rows(0, n), up = up_.slice_rows(0, n);

  be.rms_norm(x, w.attn_norm, c.rms_eps, xn);
  be.matmul(w.wq, xn, q);
  be.matmul(w.wk, xn, k);
  be.matmul(w.wv, xn, v);

  backend::RopeParams rope{c.n_head,         c.head_dim,          c.rope.n_rot,       c.arch->rope_style == RopeStyle::kNeox,
                           c.rope.freq_base, c.rope.freq_scale,   c.rope.n_ctx_orig,  c.rope.ext_factor,
                           c.rope.attn_factor, c.rope.beta_fast,  c.rope.beta_slow,
                           weights_.rope_freqs ? weights_.rope_freqs->row<const float>(0) : nullptr};
  be.rope(q, bv.positions, rope);
  rope.n_heads = c.n_head_kv;
  be.rope(k, bv.positions, rope);

  const backend::KvLayerView kv = kv_layer(il);
  be.store_kv(kv, kv_layout_, k, v, bv);
  const backend::AttentionParams ap{c.n_head, c.n_head_kv, c.head_dim, c.head_dim_v,
                                    1.0f / std::sqrt(static_cast<float>(c.head_dim))};
  be.attention(q, kv, kv_layout_, bv, ap, attn);
  be.matmul(w.wo, attn, xn);
  be.add(x, xn, x);

  be.rms_norm(x, w.ffn_norm, c.rms_eps, xn);
  be.matmul(w.ffn_gate, xn, gate);
  be.matmul(w.ffn_up, xn, up);
  be.swiglu(gate, up, gate);
  be.matmul(w.ffn_down, gate, xn);
  be.add(x, xn, x);
}

void ForwardPass::copy_blocks(std::span<const backend::BlockCopy> copies) {
  if (copies.empty()) return;
  for (int64_t il = 0; il < config_.n_layer; ++il) backend_.copy_blocks(kv_layer(il), kv_layout_, copies);
}

Result<std::span<const float>> ForwardPass::run(const Batch& batch) {
  const int64_t n = batch.n_tokens();
  if (n == 0) return std::span<const float>{};
  if (n > options_.max_batch_tokens || batch.n_seqs() > options_.max_seqs) {
    return RF_ERROR(kInternal, "batch of {} tokens in {} sequences exceeds the step limits ({}, {})", n,
                    batch.n_seqs(), options_.max_batch_tokens, options_.max_seqs);
  }
  const int64_t blocks_per_seq = (options_.max_seq_len + options_.block_size - 1) / options_.block_size;
  if (batch.max_blocks() > blocks_per_seq) {
    return RF_ERROR(kCapacity, "a sequence needs {} KV blocks, more than the {} of --ctx-size", batch.max_blocks(),
                    blocks_per_seq);
  }

  // Batch metadata goes to backend memory, where the ops (and a replayed graph) read it.
  auto* meta = static_cast<int32_t*>(meta_->data());
  const size_t t = static_cast<size_t>(options_.max_batch_tokens);
  const size_t bytes = static_cast<size_t>(n) * sizeof(int32_t);
  const std::vector<int32_t> tables = batch.block_tables();
  backend_.upload(meta, batch.tokens().data(), bytes);
  backend_.upload(meta + t, batch.positions().data(), bytes);
  backend_.upload(meta + 2 * t, batch.slots().data(), bytes);
  backend_.upload(meta + 3 * t, batch.token_seq().data(), bytes);
  backend_.upload(meta + 4 * t, batch.logit_rows().data(), batch.logit_rows().size() * sizeof(int32_t));
  backend_.upload(meta + 5 * t, tables.data(), tables.size() * sizeof(int32_t));
  const backend::BatchView bv{meta, meta + t, meta + 2 * t, meta + 3 * t, meta + 5 * t, batch.n_tokens(),
                              batch.n_seqs(), batch.max_blocks()};

  backend_.embed(weights_.tok_embd, bv.tokens, n, x_.slice_rows(0, n));
  for (int64_t il = 0; il < config_.n_layer; ++il) {
    run_layer(il, weights_.layers[static_cast<size_t>(il)], bv, n);
  }

  const int64_t n_out = static_cast<int64_t>(batch.logit_rows().size());
  if (n_out == 0) {
    RF_TRY(backend_.synchronize());
    return std::span<const float>{};
  }
  const Tensor rows = xn_.slice_rows(0, n_out);
  backend_.gather_rows(x_.slice_rows(0, n), meta + 4 * t, n_out, rows);
  backend_.rms_norm(rows, weights_.output_norm, config_.rms_eps, rows);
  const Tensor logits = logits_.slice_rows(0, n_out);
  backend_.matmul(weights_.output, rows, logits);

  host_logits_.resize(static_cast<size_t>(n_out * config_.n_vocab));
  RF_TRY(backend_.download(host_logits_.data(), logits.data, host_logits_.size() * sizeof(float)));
  return std::span<const float>(host_logits_);
}

}  // namespace rocmforge::model
