// The model's weights as backend tensors, bound by name against a validated
// ModelConfig (so every shape is already known to be right). Optional members
// are empty when the architecture or the file's variant has no such tensor.
#pragma once

#include <optional>
#include <vector>

#include "backend/backend.h"
#include "gguf/gguf_file.h"
#include "model/config.h"

namespace rocmforge::model {

using OptTensor = std::optional<backend::Tensor>;

struct ExpertWeights {
  backend::Tensor router;  // [n_expert, n_embd]
  backend::Tensor gate;    // experts stacked: [n_expert * n_ff_exp, n_embd]
  backend::Tensor up;
  backend::Tensor down;    // [n_expert * n_embd, n_ff_exp]
  // The shared expert (Qwen2-MoE) and its sigmoid gate [1, n_embd].
  OptTensor shared_gate_inp, shared_gate, shared_up, shared_down;
};

struct LayerWeights {
  backend::Tensor attn_norm;
  OptTensor wqkv, bqkv;           // fused projection
  OptTensor wq, wk, wv, bq, bk, bv;
  OptTensor q_norm, k_norm;
  backend::Tensor wo;
  OptTensor bo;
  OptTensor attn_post_norm;
  backend::Tensor ffn_norm;
  OptTensor ffn_gate, ffn_up, ffn_down;  // dense (ffn_up holds gate and up when fused)
  std::optional<ExpertWeights> experts;
  OptTensor ffn_post_norm;
};

struct ModelWeights {
  backend::Tensor tok_embd;
  backend::Tensor output_norm;
  backend::Tensor output;  // token_embd when the output head is tied
  OptTensor output_bias;
  OptTensor rope_freqs, rope_long, rope_short;
  std::vector<LayerWeights> layers;
};

Result<ModelWeights> bind_weights(const gguf::GgufFile& file, const ModelConfig& config, backend::Backend& backend);

}  // namespace rocmforge::model
