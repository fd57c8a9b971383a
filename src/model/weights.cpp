#include "model/weights.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "model/tensor_plan.h"

namespace rocmforge::model {
namespace {

// Loads every tensor of the plan once, then hands them out by name.
class Bound {
 public:
  Status load(const gguf::GgufFile& file, const ModelConfig& config, backend::Backend& backend) {
    for (int64_t il = 0; il < config.n_layer; ++il) {
      const std::string p = "blk." + std::to_string(il) + ".";
      RF_TRY(load_group(file, backend, {p + "attn_q.weight", p + "attn_k.weight", p + "attn_v.weight"}));
      RF_TRY(load_group(file, backend, {p + "ffn_gate.weight", p + "ffn_up.weight"}));
    }
    for (const TensorSpec& spec : tensor_plan(config)) {
      const gguf::TensorInfo* info = file.find_tensor(spec.name);
      if (info == nullptr || tensors_.contains(spec.name)) continue;  // absent and optional, or in a group
      auto tensor = backend.load_weight(*info);
      if (!tensor) return std::move(tensor).error().with_context("tensor '" + spec.name + "'");
      tensors_.emplace(spec.name, *tensor);
    }
    return ok();
  }

  // Products over one input (layer_blocks.cpp) read these in turn: the
  // backend may place them side by side. Only a complete group is loaded.
  Status load_group(const gguf::GgufFile& file, backend::Backend& backend, const std::vector<std::string>& names) {
    std::vector<const gguf::TensorInfo*> infos;
    for (const std::string& name : names) {
      const gguf::TensorInfo* info = file.find_tensor(name);
      if (info == nullptr) return ok();
      infos.push_back(info);
    }
    auto tensors = backend.load_weight_group(infos);
    if (!tensors) {
      std::string what = "tensors";
      const char* separator = " '";
      for (const std::string& name : names) {
        what += separator + name + "'";
        separator = ", '";
      }
      return std::move(tensors).error().with_context(what);
    }
    for (size_t i = 0; i < names.size(); ++i) tensors_.emplace(names[i], (*tensors)[i]);
    return ok();
  }

  OptTensor find(const std::string& name) const {
    const auto it = tensors_.find(name);
    return it == tensors_.end() ? std::nullopt : OptTensor(it->second);
  }
  // Only called for tensors the plan requires, which check_tensor_plan saw.
  backend::Tensor get(const std::string& name) const { return tensors_.at(name); }

 private:
  std::unordered_map<std::string, backend::Tensor> tensors_;
};

LayerWeights bind_layer(const Bound& b, const ModelConfig& c, const std::string& p) {
  LayerWeights l;
  l.attn_norm = b.get(p + "attn_norm.weight");
  l.wqkv = b.find(p + "attn_qkv.weight");
  l.bqkv = b.find(p + "attn_qkv.bias");
  l.wq = b.find(p + "attn_q.weight");
  l.wk = b.find(p + "attn_k.weight");
  l.wv = b.find(p + "attn_v.weight");
  l.bq = b.find(p + "attn_q.bias");
  l.bk = b.find(p + "attn_k.bias");
  l.bv = b.find(p + "attn_v.bias");
  l.q_norm = b.find(p + "attn_q_norm.weight");
  l.k_norm = b.find(p + "attn_k_norm.weight");
  l.wo = b.get(p + "attn_output.weight");
  l.bo = b.find(p + "attn_output.bias");
  l.attn_post_norm = b.find(p + "post_attention_norm.weight");
  l.ffn_norm = b.get(p + "ffn_norm.weight");
  l.ffn_gate = b.find(p + "ffn_gate.weight");
  l.ffn_up = b.find(p + "ffn_up.weight");
  l.ffn_down = b.find(p + "ffn_down.weight");
  if (c.n_expert > 0) {
    ExpertWeights e;
    e.router = b.get(p + "ffn_gate_inp.weight");
    e.gate = b.get(p + "ffn_gate_exps.weight");
    e.up = b.get(p + "ffn_up_exps.weight");
    e.down = b.get(p + "ffn_down_exps.weight");
    e.shared_gate_inp = b.find(p + "ffn_gate_inp_shexp.weight");
    e.shared_gate = b.find(p + "ffn_gate_shexp.weight");
    e.shared_up = b.find(p + "ffn_up_shexp.weight");
    e.shared_down = b.find(p + "ffn_down_shexp.weight");
    l.experts = e;
  }
  l.ffn_post_norm = b.find(p + "post_ffw_norm.weight");
  return l;
}

}  // namespace

Result<ModelWeights> bind_weights(const gguf::GgufFile& file, const ModelConfig& config, backend::Backend& backend) {
  RF_TRY(check_tensor_plan(file, config));
  Bound b;
  RF_TRY(b.load(file, config, backend));
  ModelWeights w;
  w.tok_embd = b.get("token_embd.weight");
  w.output_norm = b.get("output_norm.weight");
  w.output = config.layout.tied_output ? w.tok_embd : b.get("output.weight");
  w.output_bias = b.find("output.bias");
  w.rope_freqs = b.find("rope_freqs.weight");
  w.rope_long = b.find("rope_factors_long.weight");
  w.rope_short = b.find("rope_factors_short.weight");
  w.layers.reserve(static_cast<size_t>(config.n_layer));
  for (int64_t i = 0; i < config.n_layer; ++i) {
    w.layers.push_back(bind_layer(b, config, "blk." + std::to_string(i) + "."));
  }
  return w;
}

}  // namespace rocmforge::model
