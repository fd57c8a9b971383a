#include "model/tensor_plan.h"

#include <unordered_set>

namespace rocmforge::model {
namespace {

class Planner {
 public:
  void matrix(std::string name, int64_t cols, int64_t rows, const char* what, bool required = true) {
    specs_.push_back({std::move(name), {cols, rows}, TensorRole::kMatrix, required, what});
  }
  void experts(std::string name, int64_t cols, int64_t rows, int64_t n, const char* what) {
    specs_.push_back({std::move(name), {cols, rows, n}, TensorRole::kExperts, true, what});
  }
  void vector(std::string name, int64_t n, const char* what, bool required = true) {
    specs_.push_back({std::move(name), {n}, TensorRole::kVector, required, what});
  }
  std::vector<TensorSpec> take() { return std::move(specs_); }

 private:
  std::vector<TensorSpec> specs_;
};

void plan_attention(Planner& p, const ModelConfig& c, const std::string& b) {
  const int64_t e = c.n_embd;
  const TensorLayout& l = c.layout;
  p.vector(b + "attn_norm.weight", e, "embedding length");
  if (l.fused_qkv) {
    const int64_t qkv = c.q_width() + c.k_width() + c.v_width();
    p.matrix(b + "attn_qkv.weight", e, qkv, "head counts x head sizes");
    if (l.qkv_bias) p.vector(b + "attn_qkv.bias", qkv, "head counts x head sizes");
  } else {
    p.matrix(b + "attn_q.weight", e, c.q_width(), "head count x head size");
    p.matrix(b + "attn_k.weight", e, c.k_width(), "KV head count x head size");
    p.matrix(b + "attn_v.weight", e, c.v_width(), "KV head count x value size");
    if (l.qkv_bias) {
      p.vector(b + "attn_q.bias", c.q_width(), "head count x head size");
      p.vector(b + "attn_k.bias", c.k_width(), "KV head count x head size");
      p.vector(b + "attn_v.bias", c.v_width(), "KV head count x value size");
    }
  }
  if (c.arch->qk_norm) {
    p.vector(b + "attn_q_norm.weight", c.head_dim, "head size");
    p.vector(b + "attn_k_norm.weight", c.head_dim, "head size");
  }
  p.matrix(b + "attn_output.weight", c.n_head * c.head_dim_v, e, "heads x value size");
  if (l.out_bias) p.vector(b + "attn_output.bias", e, "embedding length");
  if (c.arch->post_norms) p.vector(b + "post_attention_norm.weight", e, "embedding length");
}

void plan_ffn(Planner& p, const ModelConfig& c, const std::string& b) {
  const int64_t e = c.n_embd;
  p.vector(b + "ffn_norm.weight", e, "embedding length");
  if (c.n_expert > 0) {
    p.matrix(b + "ffn_gate_inp.weight", e, c.n_expert, "expert count");
    p.experts(b + "ffn_gate_exps.weight", e, c.n_ff_exp, c.n_expert, "expert feed-forward length x experts");
    p.experts(b + "ffn_up_exps.weight", e, c.n_ff_exp, c.n_expert, "expert feed-forward length x experts");
    p.experts(b + "ffn_down_exps.weight", c.n_ff_exp, e, c.n_expert, "expert feed-forward length x experts");
    if (c.arch->shared_expert) {
      p.vector(b + "ffn_gate_inp_shexp.weight", e, "embedding length");
      p.matrix(b + "ffn_gate_shexp.weight", e, c.n_ff_shexp, "shared expert feed-forward length");
      p.matrix(b + "ffn_up_shexp.weight", e, c.n_ff_shexp, "shared expert feed-forward length");
      p.matrix(b + "ffn_down_shexp.weight", c.n_ff_shexp, e, "shared expert feed-forward length");
    }
  } else if (c.layout.fused_up) {
    p.matrix(b + "ffn_up.weight", e, 2 * c.n_ff, "2 x feed-forward length (gate and up)");
    p.matrix(b + "ffn_down.weight", c.n_ff, e, "feed-forward length");
  } else {
    p.matrix(b + "ffn_gate.weight", e, c.n_ff, "feed-forward length");
    p.matrix(b + "ffn_up.weight", e, c.n_ff, "feed-forward length");
    p.matrix(b + "ffn_down.weight", c.n_ff, e, "feed-forward length");
  }
  if (c.arch->post_norms) p.vector(b + "post_ffw_norm.weight", e, "embedding length");
}

std::string shape_of(const std::vector<int64_t>& ne) {
  std::string s = "[";
  for (size_t i = 0; i < ne.size(); ++i) s += (i ? ", " : "") + std::to_string(ne[i]);
  return s + "]";
}

}  // namespace

std::vector<TensorSpec> tensor_plan(const ModelConfig& c) {
  Planner p;
  p.matrix("token_embd.weight", c.n_embd, c.n_vocab, "embedding length x vocabulary");
  p.vector("output_norm.weight", c.n_embd, "embedding length");
  if (!c.layout.tied_output) p.matrix("output.weight", c.n_embd, c.n_vocab, "embedding length x vocabulary");
  if (c.layout.output_bias) p.vector("output.bias", c.n_vocab, "vocabulary");
  if (c.rope.has_freq_factors) p.vector("rope_freqs.weight", c.rope.n_rot / 2, "rotated dimensions / 2");
  if (c.rope.has_long_short) {
    p.vector("rope_factors_long.weight", c.rope.n_rot / 2, "rotated dimensions / 2");
    p.vector("rope_factors_short.weight", c.rope.n_rot / 2, "rotated dimensions / 2");
  }
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    plan_attention(p, c, b);
    plan_ffn(p, c, b);
  }
  return p.take();
}

Status check_tensor_plan(const gguf::GgufFile& file, const ModelConfig& c) {
  std::unordered_set<std::string_view> planned;
  const std::vector<TensorSpec> plan = tensor_plan(c);
  for (const TensorSpec& spec : plan) {
    planned.insert(spec.name);
    const gguf::TensorInfo* t = file.find_tensor(spec.name);
    if (t == nullptr) {
      if (!spec.required) continue;
      return RF_ERROR(kNotFound, "tensor '{}' is missing", spec.name);
    }
    bool same = t->n_dims == static_cast<int>(spec.ne.size());
    for (size_t d = 0; same && d < spec.ne.size(); ++d) same = t->ne[d] == spec.ne[d];
    if (!same) {
      return RF_ERROR(kParse, "tensor '{}' has shape {} but the metadata ({}) implies {}", spec.name,
                      t->shape_string(), spec.what, shape_of(spec.ne));
    }
    if (spec.role == TensorRole::kVector && t->type != gguf::GgmlType::kF32) {
      return RF_ERROR(kUnsupported, "tensor '{}' is {}; norm weights, biases and factors must be f32", spec.name,
                      gguf::ggml_type_name(t->type));
    }
  }
  for (const gguf::TensorInfo& t : file.tensors()) {
    if (!planned.contains(t.name)) {
      return RF_ERROR(kUnsupported, "tensor '{}' is not part of the '{}' architecture as supported here", t.name,
                      c.arch->name);
    }
  }
  return ok();
}

}  // namespace rocmforge::model
