#include "model/weights.h"

#include <string>

namespace rocmforge::model {
namespace {

class Binder {
 public:
  Binder(const gguf::GgufFile& file, backend::Backend& backend) : file_(file), backend_(backend) {}

  Result<backend::Tensor> matrix(const std::string& name) {
    const gguf::TensorInfo* info = file_.find_tensor(name);
    if (info == nullptr) return RF_ERROR(kNotFound, "tensor '{}' is missing", name);
    auto tensor = backend_.load_weight(*info);
    if (!tensor) return std::move(tensor).error().with_context("tensor '" + name + "'");
    return *tensor;
  }

  // Norm weights and frequency factors are read as F32 vectors by the ops.
  Result<backend::Tensor> vector(const std::string& name) {
    const gguf::TensorInfo* info = file_.find_tensor(name);
    if (info == nullptr) return RF_ERROR(kNotFound, "tensor '{}' is missing", name);
    if (info->type != gguf::GgmlType::kF32) {
      return RF_ERROR(kUnsupported, "tensor '{}' is {}; norm weights must be f32", name,
                      gguf::ggml_type_name(info->type));
    }
    return matrix(name);
  }

 private:
  const gguf::GgufFile& file_;
  backend::Backend& backend_;
};

}  // namespace

Result<ModelWeights> bind_weights(const gguf::GgufFile& file, const ModelConfig& config, backend::Backend& backend) {
  Binder bind(file, backend);
  ModelWeights w;
  w.tok_embd = RF_TRY(bind.matrix("token_embd.weight"));
  w.output_norm = RF_TRY(bind.vector("output_norm.weight"));
  w.output = config.tied_output ? w.tok_embd : RF_TRY(bind.matrix("output.weight"));
  if (config.rope.has_freq_factors) w.rope_freqs = RF_TRY(bind.vector("rope_freqs.weight"));
  w.layers.reserve(static_cast<size_t>(config.n_layer));
  for (int64_t i = 0; i < config.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    LayerWeights l;
    l.attn_norm = RF_TRY(bind.vector(p + "attn_norm.weight"));
    l.wq = RF_TRY(bind.matrix(p + "attn_q.weight"));
    l.wk = RF_TRY(bind.matrix(p + "attn_k.weight"));
    l.wv = RF_TRY(bind.matrix(p + "attn_v.weight"));
    l.wo = RF_TRY(bind.matrix(p + "attn_output.weight"));
    l.ffn_norm = RF_TRY(bind.vector(p + "ffn_norm.weight"));
    l.ffn_gate = RF_TRY(bind.matrix(p + "ffn_gate.weight"));
    l.ffn_up = RF_TRY(bind.matrix(p + "ffn_up.weight"));
    l.ffn_down = RF_TRY(bind.matrix(p + "ffn_down.weight"));
    w.layers.push_back(l);
  }
  return w;
}

}  // namespace rocmforge::model
