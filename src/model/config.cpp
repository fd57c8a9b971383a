#include "model/config.h"

#include <cmath>
#include <optional>

namespace rocmforge::model {
namespace {

// Reads `{arch}.{suffix}` as a positive integer, or nullopt when absent.
Result<std::optional<int64_t>> read_dim(const gguf::GgufFile& file, const std::string& key) {
  const gguf::Value* value = file.find(key);
  if (value == nullptr) return std::optional<int64_t>{};
  if (value->type() == gguf::ValueType::kArray) {
    // Per-layer values (some models vary head counts by layer): only uniform ones are supported.
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

// The tensor `name` must exist with exactly the shape `expected` (ne order).
Status check_shape(const gguf::GgufFile& file, const std::string& name, std::initializer_list<int64_t> expected,
                   const char* what) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  if (t == nullptr) return RF_ERROR(kNotFound, "tensor '{}' is missing", name);
  int i = 0;
  bool same = t->n_dims == static_cast<int>(expected.size());
  for (int64_t e : expected) same = same && t->ne[static_cast<size_t>(i++)] == e;
  if (!same) {
    std::string want = "[";
    for (int64_t e : expected) want += (want.size() > 1 ? ", " : "") + std::to_string(e);
    return RF_ERROR(kParse, "tensor '{}' has shape {} but the metadata ({}) implies {}]", name, t->shape_string(),
                    what, want);
  }
  return ok();
}

Status read_rope(const gguf::GgufFile& file, const std::string& a, ModelConfig& c) {
  RopeConfig& r = c.rope;
  r.n_rot = RF_TRY(read_dim(file, a + ".rope.dimension_count")).value_or(c.head_dim);
  if (r.n_rot > c.head_dim || r.n_rot % 2 != 0) {
    return RF_ERROR(kParse, "rope dimension count {} must be even and at most the head size {}", r.n_rot,
                    c.head_dim);
  }
  r.freq_base = RF_TRY(read_float_or(file, a + ".rope.freq_base", 10000.0f));
  r.n_ctx_orig = RF_TRY(read_dim(file, a + ".rope.scaling.original_context_length")).value_or(c.n_ctx_train);

  const std::optional<std::string_view> type = RF_TRY(file.find_string(a + ".rope.scaling.type"));
  float factor = RF_TRY(read_float_or(file, a + ".rope.scaling.factor", 0.0f));
  if (factor == 0.0f) factor = RF_TRY(read_float_or(file, a + ".rope.scale_linear", 0.0f));
  if (!type || *type == "none") {
    r.scaling = factor > 0.0f && factor != 1.0f ? RopeScaling::kLinear : RopeScaling::kNone;
  } else if (*type == "linear") {
    r.scaling = RopeScaling::kLinear;
  } else if (*type == "yarn") {
    r.scaling = RopeScaling::kYarn;
    r.ext_factor = 1.0f;
    r.attn_factor = RF_TRY(read_float_or(file, a + ".rope.scaling.attn_factor", 1.0f));
    r.beta_fast = RF_TRY(read_float_or(file, a + ".rope.scaling.yarn_beta_fast", 32.0f));
    r.beta_slow = RF_TRY(read_float_or(file, a + ".rope.scaling.yarn_beta_slow", 1.0f));
  } else {
    return RF_ERROR(kUnsupported, "rope scaling type '{}' is not supported (none, linear, yarn)", *type);
  }
  if (r.scaling != RopeScaling::kNone) {
    if (!(factor > 0.0f)) return RF_ERROR(kParse, "rope scaling '{}' needs a positive factor", *type);
    r.freq_scale = 1.0f / factor;
  }
  if (const gguf::TensorInfo* t = file.find_tensor("rope_freqs.weight")) {
    if (t->type != gguf::GgmlType::kF32 || t->n_elements() != r.n_rot / 2) {
      return RF_ERROR(kParse, "tensor 'rope_freqs.weight' must be f32 with {} elements, found {} {}", r.n_rot / 2,
                      gguf::ggml_type_name(t->type), t->shape_string());
    }
    r.has_freq_factors = true;
  }
  return ok();
}

Status check_tensors(const gguf::GgufFile& file, const ModelConfig& c) {
  const int64_t e = c.n_embd;
  RF_TRY(check_shape(file, "token_embd.weight", {e, c.n_vocab}, "embedding length x vocabulary"));
  RF_TRY(check_shape(file, "output_norm.weight", {e}, "embedding length"));
  if (!c.tied_output) RF_TRY(check_shape(file, "output.weight", {e, c.n_vocab}, "embedding length x vocabulary"));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    RF_TRY(check_shape(file, p + "attn_norm.weight", {e}, "embedding length"));
    RF_TRY(check_shape(file, p + "attn_q.weight", {e, c.q_width()}, "head count x head size"));
    RF_TRY(check_shape(file, p + "attn_k.weight", {e, c.k_width()}, "KV head count x head size"));
    RF_TRY(check_shape(file, p + "attn_v.weight", {e, c.v_width()}, "KV head count x value size"));
    RF_TRY(check_shape(file, p + "attn_output.weight", {c.n_head * c.head_dim_v, e}, "heads x value size"));
    RF_TRY(check_shape(file, p + "ffn_norm.weight", {e}, "embedding length"));
    RF_TRY(check_shape(file, p + "ffn_gate.weight", {e, c.n_ff}, "feed-forward length"));
    RF_TRY(check_shape(file, p + "ffn_up.weight", {e, c.n_ff}, "feed-forward length"));
    RF_TRY(check_shape(file, p + "ffn_down.weight", {c.n_ff, e}, "feed-forward length"));
  }
  return ok();
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

  // Vocabulary: the embedding's rows, which must agree with the token list.
  const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return RF_ERROR(kNotFound, "tensor 'token_embd.weight' is missing");
  c.n_vocab = embd->ne[1];
  if (file.has("tokenizer.ggml.tokens")) {
    const gguf::Array* tokens = RF_TRY(file.get_array("tokenizer.ggml.tokens"));
    if (static_cast<int64_t>(tokens->size()) != c.n_vocab) {
      return RF_ERROR(kParse, "the token list has {} entries but 'token_embd.weight' has {} rows", tokens->size(),
                      c.n_vocab);
    }
  }
  if (const auto declared = RF_TRY(read_dim(file, a + ".vocab_size")); declared && *declared != c.n_vocab) {
    return RF_ERROR(kParse, "metadata '{}.vocab_size' = {} but 'token_embd.weight' has {} rows", a, *declared,
                    c.n_vocab);
  }

  // Feed-forward size: from metadata when present, else from the tensor; both must agree.
  const gguf::TensorInfo* gate = file.find_tensor("blk.0.ffn_gate.weight");
  if (gate == nullptr) return RF_ERROR(kNotFound, "tensor 'blk.0.ffn_gate.weight' is missing");
  c.n_ff = RF_TRY(read_dim(file, a + ".feed_forward_length")).value_or(gate->ne[1]);

  c.tied_output = file.find_tensor("output.weight") == nullptr;
  RF_TRY(read_rope(file, a, c));
  RF_TRY(check_tensors(file, c));
  for (const gguf::TensorInfo& t : file.tensors()) c.n_params += static_cast<uint64_t>(t.n_elements());
  return c;
}

}  // namespace rocmforge::model
