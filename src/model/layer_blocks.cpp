// The two blocks of a transformer layer, as ForwardPass members. Each
// optional step (biases, Q/K norms, Q pre-scaling, post-norms, experts) is
// there because the architecture table or the file's variant says so.
#include "model/forward.h"

#include <algorithm>
#include <array>

namespace rocmforge::model {
namespace {

using backend::Tensor;

// The heads of a contiguous [n, n_heads * head_dim] tensor as [n * n_heads, head_dim] rows.
Tensor as_heads(const Tensor& t, int64_t head_dim) {
  return backend::f32_tensor(static_cast<float*>(t.data), t.rows * (t.cols / head_dim), head_dim);
}

backend::GluKind glu_kind(Activation a) { return a == Activation::kGelu ? backend::GluKind::kGelu : backend::GluKind::kSilu; }

}  // namespace

void ForwardPass::project(const Tensor& w, const Tensor& in, const Tensor& out) {
  project(std::span<const Tensor>(&w, 1), in, std::span<const Tensor>(&out, 1));
}

void ForwardPass::project(std::span<const Tensor> w, const Tensor& in, std::span<const Tensor> out) {
  const int64_t g = std::min(n_generated_, in.rows);
  if (g == in.rows || !backend_.prompt_rows_differ()) {
    for (size_t i = 0; i < w.size(); ++i) backend_.matmul(w[i], in, out[i]);
    return;
  }
  for (size_t i = 0; i < w.size() && g > 0; ++i) backend_.matmul(w[i], in.slice_rows(0, g), out[i].slice_rows(0, g));
  for (size_t i = 0; i < w.size(); ++i) {
    backend_.matmul_prompt(w[i], in.slice_rows(g, in.rows - g), out[i].slice_rows(g, out[i].rows - g));
  }
}

void ForwardPass::only_projected(const Tensor& in, std::span<const Tensor> w) {
  const int64_t g = std::min(n_generated_, in.rows);
  if (g == 0 || g == in.rows || !backend_.prompt_rows_differ()) backend_.read_only_by(in, w);
}

void ForwardPass::attention_block(int64_t il, const LayerWeights& w, const backend::BatchView& bv, int64_t n) {
  const ModelConfig& c = config_;
  backend::Backend& be = backend_;
  const Tensor x = act_.x.slice_rows(0, n);
  const Tensor xn = act_.xn.slice_rows(0, n);
  const Tensor attn = act_.attn.slice_rows(0, n);

  be.rms_norm(x, w.attn_norm, c.rms_eps, xn);
  Tensor q, k, v;
  if (w.wqkv) {
    const Tensor qkv = act_.qkv.slice_rows(0, n);
    only_projected(xn, std::span<const Tensor>(&*w.wqkv, 1));
    project(*w.wqkv, xn, qkv);
    if (w.bqkv) be.add(qkv, *w.bqkv, qkv);
    q = qkv.slice_cols(0, c.q_width());
    k = qkv.slice_cols(c.q_width(), c.k_width());
    v = qkv.slice_cols(c.q_width() + c.k_width(), c.v_width());
  } else {
    q = act_.q.slice_rows(0, n);
    k = act_.k.slice_rows(0, n);
    v = act_.v.slice_rows(0, n);
    const std::array qkv_w{*w.wq, *w.wk, *w.wv};
    only_projected(xn, qkv_w);
    project(qkv_w, xn, std::array{q, k, v});
    if (w.bq) be.add(q, *w.bq, q);
    if (w.bk) be.add(k, *w.bk, k);
    if (w.bv) be.add(v, *w.bv, v);
  }
  if (w.q_norm) {
    be.rms_norm(as_heads(q, c.head_dim), *w.q_norm, c.rms_eps, as_heads(q, c.head_dim));
    be.rms_norm(as_heads(k, c.head_dim), *w.k_norm, c.rms_eps, as_heads(k, c.head_dim));
  }
  be.rope(q, bv.positions, rope_params(il, c.n_head));
  be.rope(k, bv.positions, rope_params(il, c.n_head_kv));
  if (c.q_scale != 0.0f) be.scale(q, c.q_scale);

  const backend::KvLayerView kv = kv_layer(il);
  be.store_kv(kv, kv_layout_, k, v, bv);
  backend::AttentionParams ap;
  ap.n_head = c.n_head;
  ap.n_head_kv = c.n_head_kv;
  ap.head_dim = c.head_dim;
  ap.head_dim_v = c.head_dim_v;
  ap.scale = c.q_scale != 0.0f ? 1.0f : c.attn_scale;
  ap.softcap = c.attn_softcap;
  ap.window = c.is_swa(il) ? c.swa_window : 0;
  be.attention(q, kv, kv_layout_, bv, ap, attn);
  only_projected(attn, std::span<const Tensor>(&w.wo, 1));
  project(w.wo, attn, xn);
  if (w.bo) be.add(xn, *w.bo, xn);
  if (w.attn_post_norm) be.rms_norm(xn, *w.attn_post_norm, c.rms_eps, xn);
  be.add(xn, x, x);
}

void ForwardPass::ffn_block(const LayerWeights& w, int64_t n) {
  const ModelConfig& c = config_;
  const Tensor x = act_.x.slice_rows(0, n);
  const Tensor xn = act_.xn.slice_rows(0, n);
  backend_.rms_norm(x, w.ffn_norm, c.rms_eps, xn);
  // The FFN reads xn and writes its result back into xn.
  if (w.experts) {
    moe_ffn(*w.experts, xn, xn, n);
  } else if (w.ffn_gate) {
    only_projected(xn, std::array{*w.ffn_gate, *w.ffn_up});
    dense_ffn(*w.ffn_gate, &*w.ffn_up, *w.ffn_down, xn, xn, n);
  } else {
    only_projected(xn, std::span<const Tensor>(&*w.ffn_up, 1));
    dense_ffn(*w.ffn_up, nullptr, *w.ffn_down, xn, xn, n);  // ffn_up holds gate then up
  }
  if (w.ffn_post_norm) backend_.rms_norm(xn, *w.ffn_post_norm, c.rms_eps, xn);
  backend_.add(xn, x, x);
}

// out = down(act(gate(in)) * up(in)); with up_w null, gate_w yields both halves.
void ForwardPass::dense_ffn(const Tensor& gate_w, const Tensor* up_w, const Tensor& down_w, const Tensor& in,
                            const Tensor& out, int64_t n) {
  const int64_t ff = down_w.cols;
  const Tensor both = act_.gate_up.slice_rows(0, n).slice_cols(0, 2 * ff);
  const Tensor gate = both.slice_cols(0, ff);
  const Tensor up = both.slice_cols(ff, ff);
  if (up_w != nullptr) {
    project(std::array{gate_w, *up_w}, in, std::array{gate, up});
  } else {
    project(gate_w, in, both);
  }
  backend_.glu(glu_kind(config_.arch->activation), gate, up, gate);
  only_projected(gate, std::span<const Tensor>(&down_w, 1));
  project(down_w, gate, out);
}

void ForwardPass::moe_ffn(const ExpertWeights& e, const Tensor& in, const Tensor& out, int64_t n) {
  const ModelConfig& c = config_;
  const int64_t k = c.n_expert_used;
  const Tensor logits = act_.router.slice_rows(0, n);
  const Tensor weights = act_.route_weights.slice_rows(0, n);
  const Tensor eg = act_.expert_gate.slice_rows(0, n * k);
  const Tensor eu = act_.expert_up.slice_rows(0, n * k);
  const Tensor eo = act_.expert_out.slice_rows(0, n * k);
  backend_.matmul(e.router, in, logits);
  backend_.moe_route(logits, {c.n_expert, k, c.arch->moe_norm_weights, c.expert_weights_scale}, act_.route_ids,
                     weights);
  backend_.matmul_experts(e.gate, c.n_expert, in, false, act_.route_ids, k, eg);
  backend_.matmul_experts(e.up, c.n_expert, in, false, act_.route_ids, k, eu);
  backend_.glu(backend::GluKind::kSilu, eg, eu, eg);
  backend_.matmul_experts(e.down, c.n_expert, eg, true, act_.route_ids, k, eo);
  if (!e.shared_gate) {
    backend_.moe_combine(eo, weights, k, out);
    return;
  }
  // Qwen2-MoE: the routed sum plus a shared expert scaled by sigmoid(x . w).
  const Tensor gate_scalar = act_.shared_gate.slice_rows(0, n);
  const Tensor routed = act_.routed.slice_rows(0, n);
  backend_.moe_combine(eo, weights, k, routed);
  backend_.matmul(*e.shared_gate_inp, in, gate_scalar);
  dense_ffn(*e.shared_gate, &*e.shared_up, *e.shared_down, in, out, n);
  backend_.mul_sigmoid(out, gate_scalar);
  backend_.add(routed, out, out);
}

}  // namespace rocmforge::model
