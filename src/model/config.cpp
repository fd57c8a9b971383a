#include "model/config.h"

#include <cmath>
#include <optional>

#include "model/tensor_plan.h"

namespace rocmforge::model {
namespace {

// Reads `key` as a positive integer, or nullopt when absent. Per-layer arrays
// are accepted when uniform.
Result<std::optional<int64_t>> read_dim(const gguf::GgufFile& file, const std::string& key) {
  const gguf::Value* value = file.find(key);
  if (value == nullptr) return std::optional<int64_t>{};
  if (value->type() == gguf::ValueType::kArray) {
    const gguf::Array* array = RF_TRY(file.get_array(key));
    if (array->ints.empty()) return RF_ERROR(kParse, "metadata '{}' is an empty or non-integer array", key);
    for (int64_t v : array->ints) {
      if (v != array->ints.front()) {
        return RF_ERROR(kUnsupported, "metadata '{}' varies by layer, which is not supported", key);
      }
    }
    return std::optional<int64_t>{array->ints.front()};
  }
  const int64_t v = RF_TRY(file.get_int(key));
  if (v <= 0 || v > (int64_t{1} << 40)) return RF_ERROR(kParse, "metadata '{}' = {} is out of range", key, v);
  return std::optional<int64_t>{v};
}

Result<int64_t> require_dim(const gguf::GgufFile& file, const std::string& key) {
  const std::optional<int64_t> v = RF_TRY(read_dim(file, key));
  if (!v) return RF_ERROR(kNotFound, "metadata '{}' is missing", key);
  return *v;
}

Result<float> read_float_or(const gguf::GgufFile& file, const std::string& key, float fallback) {
  const std::optional<double> v = RF_TRY(file.find_float(key));
  if (!v) return fallback;
  if (!std::isfinite(*v)) return RF_ERROR(kParse, "metadata '{}' is not finite", key);
  return static_cast<float>(*v);
}

bool has_tensor(const gguf::GgufFile& file, const std::string& name) { return file.find_tensor(name) != nullptr; }

Status read_rope(const gguf::GgufFile& file, const std::string& a, ModelConfig& c) {
  RopeConfig& r = c.rope;
  r.n_rot = RF_TRY(read_dim(file, a + ".rope.dimension_count")).value_or(c.head_dim);
  if (r.n_rot > c.head_dim || r.n_rot % 2 != 0) {
    return RF_ERROR(kParse, "rope dimension count {} must be even and at most the head size {}", r.n_rot,
                    c.head_dim);
  }
  r.freq_base = RF_TRY(read_float_or(file, a + ".rope.freq_base", 10000.0f));
  r.n_ctx_orig = RF_TRY(read_dim(file, a + ".rope.scaling.original_context_length")).value_or(c.n_ctx_train);
  // llama.cpp cancels YaRN's magnitude correction in the attention factor and
  // reapplies it inside RoPE, so the file's factor is what is left.
  r.attn_factor = RF_TRY(read_float_or(file, a + ".rope.scaling.attn_factor", 1.0f));

  const std::optional<std::string_view> type = RF_TRY(file.find_string(a + ".rope.scaling.type"));
  float factor = RF_TRY(read_float_or(file, a + ".rope.scaling.factor", 0.0f));
  if (factor == 0.0f) factor = RF_TRY(read_float_or(file, a + ".rope.scale_linear", 0.0f));
  if (!type || *type == "none") {
    r.scaling = factor > 0.0f && factor != 1.0f && !type ? RopeScaling::kLinear : RopeScaling::kNone;
  } else if (*type == "linear") {
    r.scaling = RopeScaling::kLinear;
  } else if (*type == "yarn") {
    r.scaling = RopeScaling::kYarn;
    r.ext_factor = 1.0f;
    r.beta_fast = RF_TRY(read_float_or(file, a + ".rope.scaling.yarn_beta_fast", 32.0f));
    r.beta_slow = RF_TRY(read_float_or(file, a + ".rope.scaling.yarn_beta_slow", 1.0f));
  } else if (*type == "longrope") {
    r.scaling = RopeScaling::kLongRope;
  } else {
    return RF_ERROR(kUnsupported, "rope scaling type '{}' is not supported (none, linear, yarn, longrope)", *type);
  }
  if (r.scaling == RopeScaling::kLinear || r.scaling == RopeScaling::kYarn) {
    if (!(factor > 0.0f)) return RF_ERROR(kParse, "rope scaling '{}' needs a positive factor", *type);
    r.freq_scale = 1.0f / factor;
  }
  r.freq_base_swa = RF_TRY(read_float_or(file, a + ".rope.freq_base_swa",
                                         c.arch->arch == Arch::kGemma2 ? r.freq_base : 10000.0f));
  r.freq_scale_swa = c.arch->arch == Arch::kGemma2 ? r.freq_scale : 1.0f;
  r.has_freq_factors = has_tensor(file, "rope_freqs.weight");
  r.has_long_short = has_tensor(file, "rope_factors_long.weight") || has_tensor(file, "rope_factors_short.weight");
  return ok();
}

// Sliding-window layers: a window from the metadata (or the family's default)
// and a period in which the last layer is global.
Status read_swa(const gguf::GgufFile& file, const std::string& a, ModelConfig& c) {
  c.swa_layers.assign(static_cast<size_t>(c.n_layer), false);
  if (c.arch->swa_period == 0) return ok();
  const std::optional<int64_t> window = RF_TRY(read_dim(file, a + ".attention.sliding_window"));
  c.swa_window = window.value_or(c.arch->swa_default);
  if (c.swa_window == 0) return ok();
  const int64_t period = RF_TRY(read_dim(file, a + ".attention.sliding_window_pattern")).value_or(c.arch->swa_period);
  for (int64_t il = 0; il < c.n_layer; ++il) c.swa_layers[static_cast<size_t>(il)] = il % period < period - 1;
  return ok();
}

Status read_attention_scales(const gguf::GgufFile& file, const std::string& a, ModelConfig& c) {
  const float standard = 1.0f / std::sqrt(static_cast<float>(c.head_dim));
  if (c.arch->q_prescale) {
    // Gemma's 27B models scale by the embedding per head instead of the head size.
    const bool gemma_27b = (c.arch->arch == Arch::kGemma2 && c.n_layer == 46) ||
                           (c.arch->arch == Arch::kGemma3 && c.n_layer == 62);
    c.q_scale = gemma_27b ? 1.0f / std::sqrt(static_cast<float>(c.n_embd / c.n_head)) : standard;
  } else {
    c.attn_scale = standard;
  }
  const float attn_cap_default = c.arch->arch == Arch::kGemma2 ? 50.0f : 0.0f;
  const float final_cap_default = c.arch->arch == Arch::kGemma2 ? 30.0f : 0.0f;
  c.attn_softcap = RF_TRY(read_float_or(file, a + ".attn_logit_softcapping", attn_cap_default));
  c.final_softcap = RF_TRY(read_float_or(file, a + ".final_logit_softcapping", final_cap_default));
  if (c.arch->embed_scale) c.embed_scale = std::sqrt(static_cast<float>(c.n_embd));
  return ok();
}

Status read_experts(const gguf::GgufFile& file, const std::string& a, ModelConfig& c) {
  const bool has_experts = has_tensor(file, "blk.0.ffn_gate_inp.weight");
  if (c.arch->moe == MoeUse::kNone || (c.arch->moe == MoeUse::kOptional && !has_experts)) return ok();
  c.n_expert = RF_TRY(require_dim(file, a + ".expert_count"));
  c.n_expert_used = RF_TRY(require_dim(file, a + ".expert_used_count"));
  if (c.n_expert_used > c.n_expert || c.n_expert > 4096) {
    return RF_ERROR(kParse, "expert counts {} used of {} are out of range", c.n_expert_used, c.n_expert);
  }
  c.n_ff_exp = RF_TRY(read_dim(file, a + ".expert_feed_forward_length")).value_or(c.n_ff);
  if (c.arch->shared_expert) {
    c.n_ff_shexp = RF_TRY(read_dim(file, a + ".expert_shared_feed_forward_length")).value_or(c.n_ff);
  }
  c.expert_weights_scale = RF_TRY(read_float_or(file, a + ".expert_weights_scale", 0.0f));
  return ok();
}

// The variant of the architecture, from which optional tensors are present.
TensorLayout detect_layout(const gguf::GgufFile& file) {
  TensorLayout l;
  l.fused_qkv = has_tensor(file, "blk.0.attn_qkv.weight");
  l.qkv_bias = has_tensor(file, "blk.0.attn_q.bias") || has_tensor(file, "blk.0.attn_qkv.bias");
  l.out_bias = has_tensor(file, "blk.0.attn_output.bias");
  l.fused_up = !has_tensor(file, "blk.0.ffn_gate.weight") && has_tensor(file, "blk.0.ffn_up.weight");
  l.output_bias = has_tensor(file, "output.bias");
  l.tied_output = !has_tensor(file, "output.weight");
  return l;
}

Result<int64_t> read_vocab_size(const gguf::GgufFile& file, const std::string& a) {
  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return RF_ERROR(kNotFound, "tensor 'token_embd.weight' is missing");
  const int64_t n_vocab = embd->ne[1];
  if (file.has("tokenizer.ggml.tokens")) {
    const gguf::Array* tokens = RF_TRY(file.get_array("tokenizer.ggml.tokens"));
    if (static_cast<int64_t>(tokens->size()) != n_vocab) {
      return RF_ERROR(kParse, "the token list has {} entries but 'token_embd.weight' has {} rows", tokens->size(),
                      n_vocab);
    }
  }
  if (const auto declared = RF_TRY(read_dim(file, a + ".vocab_size")); declared && *declared != n_vocab) {
    return RF_ERROR(kParse, "metadata '{}.vocab_size' = {} but 'token_embd.weight' has {} rows", a, *declared,
                    n_vocab);
  }
  return n_vocab;
}

}  // namespace

Result<ModelConfig> load_config(const gguf::GgufFile& file) {
  const std::string_view arch_name = RF_TRY(file.get_string("general.architecture"));
  ModelConfig c;
  c.arch = RF_TRY(find_arch(arch_name));
  const std::string a(arch_name);
  c.name = std::string(RF_TRY(file.find_string("general.name")).value_or(arch_name));

  c.n_embd = RF_TRY(require_dim(file, a + ".embedding_length"));
  c.n_layer = RF_TRY(require_dim(file, a + ".block_count"));
  if (c.n_layer > 4096) return RF_ERROR(kParse, "block count {} is out of range", c.n_layer);
  c.n_head = RF_TRY(require_dim(file, a + ".attention.head_count"));
  c.n_head_kv = RF_TRY(read_dim(file, a + ".attention.head_count_kv")).value_or(c.n_head);
  c.n_ctx_train = RF_TRY(read_dim(file, a + ".context_length")).value_or(2048);
  if (c.n_head_kv > c.n_head || c.n_head % c.n_head_kv != 0) {
    return RF_ERROR(kParse, "head count {} is not a multiple of the KV head count {}", c.n_head, c.n_head_kv);
  }
  if (c.n_embd % c.n_head != 0 && !file.has(a + ".attention.key_length")) {
    return RF_ERROR(kParse, "embedding length {} is not a multiple of the head count {}", c.n_embd, c.n_head);
  }
  c.head_dim = RF_TRY(read_dim(file, a + ".attention.key_length")).value_or(c.n_embd / c.n_head);
  c.head_dim_v = RF_TRY(read_dim(file, a + ".attention.value_length")).value_or(c.head_dim);
  c.rms_eps = RF_TRY(read_float_or(file, a + ".attention.layer_norm_rms_epsilon", 1e-5f));
  if (!(c.rms_eps > 0.0f)) return RF_ERROR(kParse, "layer_norm_rms_epsilon must be positive");
  c.n_vocab = RF_TRY(read_vocab_size(file, a));
  c.layout = detect_layout(file);

  // Feed-forward size: from metadata when present, else from the first layer's tensors.
  const gguf::TensorInfo* up = file.find_tensor("blk.0.ffn_up.weight");
  const int64_t ff_from_tensor = up == nullptr ? 0 : (c.layout.fused_up ? up->ne[1] / 2 : up->ne[1]);
  const std::optional<int64_t> ff = RF_TRY(read_dim(file, a + ".feed_forward_length"));
  if (!ff && ff_from_tensor == 0) return RF_ERROR(kNotFound, "metadata '{}.feed_forward_length' is missing", a);
  c.n_ff = ff.value_or(ff_from_tensor);

  RF_TRY(read_rope(file, a, c));
  RF_TRY(read_swa(file, a, c));
  RF_TRY(read_attention_scales(file, a, c));
  RF_TRY(read_experts(file, a, c));
  RF_TRY(check_tensor_plan(file, c));
  for (const gguf::TensorInfo& t : file.tensors()) c.n_params += static_cast<uint64_t>(t.n_elements());
  return c;
}

}  // namespace rocmforge::model
