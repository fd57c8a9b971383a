#include "model/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <utility>

namespace rocmforge::model {
namespace {

using backend::Tensor;

size_t padded(size_t bytes) { return (bytes + 63) / 64 * 64; }

// Bytes of one layer's K and of its V in the pool, each padded so that every
// region starts aligned for wide loads (a Q8_0 row is 34-byte blocks).
std::pair<size_t, size_t> kv_region_bytes(const backend::KvLayout& l) {
  const auto slots = static_cast<size_t>(l.slots());
  return {padded(slots * l.k_row_bytes()), padded(slots * l.v_row_bytes())};
}

// Carves F32 tensors (and one int array) out of one buffer, 64-byte aligned.
class Carver {
 public:
  explicit Carver(std::byte* base) : base_(base) {}
  Tensor take(int64_t rows, int64_t cols) {
    if (rows == 0 || cols == 0) return {};
    Tensor t = backend::f32_tensor(reinterpret_cast<float*>(base_ + offset_), rows, cols);
    offset_ += padded(static_cast<size_t>(rows * cols) * sizeof(float));
    return t;
  }
  int32_t* take_ints(int64_t n) {
    auto* p = reinterpret_cast<int32_t*>(base_ + offset_);
    offset_ += padded(static_cast<size_t>(n) * sizeof(int32_t));
    return p;
  }
  size_t used() const { return offset_; }

 private:
  std::byte* base_;
  size_t offset_ = 0;
};

// Lays out every activation of a step, t token rows and `logit_rows` rows of
// logits with `top_k` candidates each; with a null base it only measures.
size_t layout_activations(const ModelConfig& c, int64_t t, int64_t logit_rows, int64_t top_k, std::byte* base,
                          Activations* out) {
  Carver carve(base);
  Activations a;
  a.x = carve.take(t, c.n_embd);
  a.xn = carve.take(t, c.n_embd);
  if (c.arch->qk_norm) {  // normed as [rows * heads, head_dim]: each contiguous
    a.q = carve.take(t, c.q_width());
    a.k = carve.take(t, c.k_width());
    a.v = carve.take(t, c.v_width());
  } else {
    // Side by side, as the products of a fused projection write them; the
    // products of separate Q, K and V weights may then be one (load_weight_group).
    a.qkv = carve.take(t, c.q_width() + c.k_width() + c.v_width());
    a.q = a.qkv.slice_cols(0, c.q_width());
    a.k = a.qkv.slice_cols(c.q_width(), c.k_width());
    a.v = a.qkv.slice_cols(c.q_width() + c.k_width(), c.v_width());
  }
  a.attn = carve.take(t, c.n_head * c.head_dim_v);
  // Gate then up in each row, side by side for the same reason.
  a.gate_up = carve.take(t, 2 * std::max(c.n_ff, c.n_ff_shexp));
  a.logits = carve.take(logit_rows, c.n_vocab);
  a.logit_ids = carve.take_ints(logit_rows);
  a.top = carve.take_ints(logit_rows * (2 * top_k + 1));
  if (c.n_expert > 0) {
    const int64_t slots = t * c.n_expert_used;
    a.router = carve.take(t, c.n_expert);
    a.route_weights = carve.take(t, c.n_expert_used);
    a.expert_gate = carve.take(slots, c.n_ff_exp);
    a.expert_up = carve.take(slots, c.n_ff_exp);
    a.expert_out = carve.take(slots, c.n_embd);
    a.routed = carve.take(t, c.n_embd);
    a.shared_gate = carve.take(t, 1);
    a.route_ids = carve.take_ints(slots);
  }
  if (out != nullptr) *out = a;
  return carve.used();
}

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
  if (options.top_k < 1 || options.top_k > backend::kMaxTopK) {
    return RF_ERROR(kInvalidArgument, "candidates per row must be in [1, {}], got {}", backend::kMaxTopK,
                    options.top_k);
  }
  RF_TRY(backend::check_kv_layout({config.n_layer, config.n_head_kv, config.head_dim, config.head_dim_v,
                                   options.block_size, options.kv_blocks, options.kv_types}));
  if (config.layout.fused_qkv && config.arch->qk_norm) {
    return RF_ERROR(kUnsupported, "a fused QKV projection with Q/K norms is not supported");
  }
  std::unique_ptr<ForwardPass> pass(new ForwardPass(config, weights, backend, options));
  RF_TRY(pass->allocate());
  return pass;
}

int32_t table_blocks(int64_t needed, int32_t n_seqs, int64_t blocks_per_seq, int64_t block_size) {
  if (n_seqs > kBucketedSeqs) return static_cast<int32_t>(blocks_per_seq);
  int64_t blocks = std::min((kMinTableKeys + block_size - 1) / block_size, blocks_per_seq);
  while (blocks < needed) blocks *= 2;
  return static_cast<int32_t>(std::min(blocks, blocks_per_seq));
}

size_t ForwardPass::kv_bytes() const { return kv_ ? kv_->size() : 0; }

Status ForwardPass::allocate() {
  const ModelConfig& c = config_;
  const int64_t blocks_per_seq = (options_.max_seq_len + options_.block_size - 1) / options_.block_size;
  kv_layout_ = {c.n_layer, c.n_head_kv, c.head_dim, c.head_dim_v, options_.block_size,
                options_.kv_blocks > 0 ? options_.kv_blocks : blocks_per_seq, options_.kv_types};
  const auto [k_bytes, v_bytes] = kv_region_bytes(kv_layout_);
  kv_ = RF_TRY(backend_.allocate((k_bytes + v_bytes) * static_cast<size_t>(c.n_layer)));

  const int64_t t = options_.max_batch_tokens;
  // A chunk asks for at most one row of logits, and a step has at most
  // max_seqs chunks: at 2048-token steps over a 128k vocabulary, 1 GB less.
  const int64_t logit_rows = std::min(t, options_.max_seqs);
  top_k_ = std::min(options_.top_k, c.n_vocab);
  act_buffer_ = RF_TRY(backend_.allocate(layout_activations(c, t, logit_rows, top_k_, nullptr, nullptr)));
  layout_activations(c, t, logit_rows, top_k_, static_cast<std::byte*>(act_buffer_->data()), &act_);
  host_ids_ = RF_TRY(backend_.allocate_host(static_cast<size_t>(logit_rows) * sizeof(int32_t)));
  host_top_ = RF_TRY(backend_.allocate_host(static_cast<size_t>(logit_rows * (2 * top_k_ + 1)) * sizeof(int32_t)));

  // tokens, positions, slots, token_seq, logit rows: t each; then block tables.
  const size_t meta_ints = static_cast<size_t>(5 * t + options_.max_seqs * blocks_per_seq);
  meta_ = RF_TRY(backend_.allocate(meta_ints * sizeof(int32_t)));

  // LongRoPE: the long factors once the context outgrows the original one.
  if (weights_.rope_freqs) {
    rope_factors_ = &*weights_.rope_freqs;
  } else if (weights_.rope_long && weights_.rope_short) {
    rope_factors_ = options_.max_seq_len > c.rope.n_ctx_orig ? &*weights_.rope_long : &*weights_.rope_short;
  }
  return ok();
}

backend::KvLayerView ForwardPass::kv_layer(int64_t layer) const {
  const auto [k_bytes, v_bytes] = kv_region_bytes(kv_layout_);
  std::byte* base = static_cast<std::byte*>(kv_->data()) + static_cast<size_t>(layer) * (k_bytes + v_bytes);
  return {base, base + k_bytes};
}

backend::RopeParams ForwardPass::rope_params(int64_t layer, int64_t n_heads) const {
  const RopeConfig& r = config_.rope;
  const bool swa = config_.is_swa(layer);
  backend::RopeParams p;
  p.n_heads = n_heads;
  p.head_dim = config_.head_dim;
  p.n_rot = r.n_rot;
  p.neox = config_.arch->rope_style == RopeStyle::kNeox;
  p.freq_base = swa ? r.freq_base_swa : r.freq_base;
  p.freq_scale = swa ? r.freq_scale_swa : r.freq_scale;
  p.n_ctx_orig = r.n_ctx_orig;
  p.ext_factor = r.ext_factor;
  p.attn_factor = r.attn_factor;
  p.beta_fast = r.beta_fast;
  p.beta_slow = r.beta_slow;
  p.freq_factors = rope_factors_ != nullptr ? rope_factors_->row<const float>(0) : nullptr;
  return p;
}

void ForwardPass::copy_blocks(std::span<const backend::BlockCopy> copies) {
  if (copies.empty()) return;
  for (int64_t il = 0; il < config_.n_layer; ++il) backend_.copy_blocks(kv_layer(il), kv_layout_, copies);
}

Result<int64_t> ForwardPass::queue_step(const Batch& batch, Reduction reduction) {
  const int64_t n = batch.n_tokens();
  n_logit_rows_ = 0;
  if (n == 0) return 0;
  if (n > options_.max_batch_tokens || batch.n_seqs() > options_.max_seqs) {
    return RF_ERROR(kInternal, "batch of {} tokens in {} sequences exceeds the step limits ({}, {})", n,
                    batch.n_seqs(), options_.max_batch_tokens, options_.max_seqs);
  }
  const int64_t blocks_per_seq = (options_.max_seq_len + options_.block_size - 1) / options_.block_size;
  if (batch.max_blocks() > blocks_per_seq) {
    return RF_ERROR(kCapacity, "a sequence needs {} KV blocks, more than the {} of --ctx-size", batch.max_blocks(),
                    blocks_per_seq);
  }

  // Batch metadata goes to backend memory, where the ops (and a replayed graph)
  // read it, in one upload (one copy to queue a step, not six): tokens,
  // positions, slots, token_seq and logit rows n apart (the step's own size,
  // so that a decode shape's pointers stay put), then the block tables.
  auto* meta = static_cast<int32_t*>(meta_->data());
  const auto un = static_cast<size_t>(n);
  // Block table rows padded to a few lengths (table_blocks), so that decode
  // steps of one batch size hand the ops one of a few sets of sizes (run_step).
  const int32_t row_blocks = table_blocks(batch.max_blocks(), batch.n_seqs(), blocks_per_seq, options_.block_size);
  const std::vector<int32_t> rows = batch.block_tables();
  std::vector<int32_t> staged(5 * un + static_cast<size_t>(batch.n_seqs() * row_blocks), -1);
  int32_t* host = staged.data();
  std::copy_n(batch.tokens().data(), un, host);
  std::copy_n(batch.positions().data(), un, host + un);
  std::copy_n(batch.slots().data(), un, host + 2 * un);
  std::copy_n(batch.token_seq().data(), un, host + 3 * un);
  std::copy(batch.logit_rows().begin(), batch.logit_rows().end(), host + 4 * un);
  for (int32_t s = 0; s < batch.n_seqs(); ++s) {
    std::copy_n(rows.begin() + s * batch.max_blocks(), batch.max_blocks(), host + 5 * un + s * row_blocks);
  }
  backend_.upload(meta, host, staged.size() * sizeof(int32_t));
  const backend::BatchView bv{meta, meta + un, meta + 2 * un, meta + 3 * un, meta + 5 * un, batch.n_tokens(),
                              batch.n_seqs(), row_blocks, batch.n_generated_rows()};

  const Tensor x = act_.x.slice_rows(0, n);
  n_generated_ = batch.n_generated_rows();
  const int64_t n_out = static_cast<int64_t>(batch.logit_rows().size());
  const Tensor logits = act_.logits.slice_rows(0, n_out);
  // A decode step (one token per sequence) is a shape a backend may record once
  // and replay; this pass's buffers, its block-table rows and how it reduces
  // the logits are part of what it records.
  const uint64_t shape = n == batch.n_seqs() ? std::hash<const void*>{}(meta) * 31 + static_cast<uint64_t>(n) * 65537 +
                                                   static_cast<uint64_t>(3 * n_out + static_cast<int64_t>(reduction)) +
                                                   (static_cast<uint64_t>(row_blocks) << 40) + 1
                                             : 0;
  RF_TRY(backend_.run_step(shape, [&] {
    backend_.embed(weights_.tok_embd, bv.tokens, n, x);
    if (config_.embed_scale != 0.0f) backend_.scale(x, config_.embed_scale);
    for (int64_t il = 0; il < config_.n_layer; ++il) {
      const LayerWeights& w = weights_.layers[static_cast<size_t>(il)];
      attention_block(il, w, bv, n);
      ffn_block(w, n);
    }
    if (n_out == 0) return;
    const Tensor out_rows = act_.xn.slice_rows(0, n_out);
    backend_.gather_rows(x, meta + 4 * un, n_out, out_rows);
    backend_.rms_norm(out_rows, weights_.output_norm, config_.rms_eps, out_rows);
    backend_.matmul(weights_.output, out_rows, logits);
    if (weights_.output_bias) backend_.add(logits, *weights_.output_bias, logits);
    if (config_.final_softcap != 0.0f) backend_.softcap(logits, config_.final_softcap);
    if (reduction == Reduction::kArgmax) backend_.argmax(logits, act_.logit_ids);
    if (reduction == Reduction::kTopK) {
      float* values = reinterpret_cast<float*>(act_.top);
      float* sums = reinterpret_cast<float*>(act_.top + 2 * n_out * top_k_);
      backend_.top_k(logits, top_k_, values, act_.top + n_out * top_k_, sums);
    }
  }));
  n_logit_rows_ = n_out;
  return n_out;
}

Status ForwardPass::reserve_host_logits(size_t floats) {
  if (!host_logits_ || host_logits_->size() < floats * sizeof(float)) {
    host_logits_.reset();
    host_logits_ = RF_TRY(backend_.allocate_host(floats * sizeof(float)));
  }
  return ok();
}

Result<std::span<const float>> ForwardPass::run(const Batch& batch) {
  const int64_t n_out = RF_TRY(queue_step(batch, Reduction::kNone));
  if (n_out == 0) {
    RF_TRY(backend_.synchronize());
    return std::span<const float>{};
  }
  const Tensor logits = act_.logits.slice_rows(0, n_out);
  const auto n_floats = static_cast<size_t>(n_out * config_.n_vocab);
  RF_TRY(reserve_host_logits(n_floats));
  RF_TRY(backend_.download(host_logits_->data(), logits.data, n_floats * sizeof(float)));
  return std::span<const float>(static_cast<const float*>(host_logits_->data()), n_floats);
}

Result<std::span<const int32_t>> ForwardPass::run_argmax(const Batch& batch) {
  const int64_t n_out = RF_TRY(queue_step(batch, Reduction::kArgmax));
  if (n_out == 0) {
    RF_TRY(backend_.synchronize());
    return std::span<const int32_t>{};
  }
  RF_TRY(backend_.download(host_ids_->data(), act_.logit_ids, static_cast<size_t>(n_out) * sizeof(int32_t)));
  return std::span<const int32_t>(static_cast<const int32_t*>(host_ids_->data()), static_cast<size_t>(n_out));
}

Result<TopCandidates> ForwardPass::run_top_k(const Batch& batch) {
  const int64_t n_out = RF_TRY(queue_step(batch, Reduction::kTopK));
  if (n_out == 0) {
    RF_TRY(backend_.synchronize());
    return TopCandidates{top_k_, {}, {}, {}};
  }
  const auto n_rows = static_cast<size_t>(n_out);
  const auto n_best = n_rows * static_cast<size_t>(top_k_);
  RF_TRY(backend_.download(host_top_->data(), act_.top, (2 * n_best + n_rows) * sizeof(int32_t)));
  const auto* words = static_cast<const int32_t*>(host_top_->data());
  const auto* floats = static_cast<const float*>(host_top_->data());
  return TopCandidates{top_k_, {floats, n_best}, {words + n_best, n_best}, {floats + 2 * n_best, n_rows}};
}

Result<std::span<const float>> ForwardPass::read_logits(std::span<const int32_t> rows) {
  const auto n_vocab = static_cast<size_t>(config_.n_vocab);
  RF_TRY(reserve_host_logits(rows.size() * n_vocab));
  auto* out = static_cast<float*>(host_logits_->data());
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i] < 0 || rows[i] >= n_logit_rows_) {
      return RF_ERROR(kInternal, "row {} of logits asked for, the last step had {}", rows[i], n_logit_rows_);
    }
    RF_TRY(backend_.download(out + i * n_vocab, act_.logits.row<const float>(rows[i]), n_vocab * sizeof(float)));
  }
  return std::span<const float>(out, rows.size() * n_vocab);
}

}  // namespace rocmforge::model
