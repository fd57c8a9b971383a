// The model's weights as backend tensors, bound by name against a validated
// ModelConfig (so every shape is already known to be right).
#pragma once

#include <optional>
#include <vector>

#include "backend/backend.h"
#include "gguf/gguf_file.h"
#include "model/config.h"

namespace rocmforge::model {

struct LayerWeights {
  backend::Tensor attn_norm;
  backend::Tensor wq;
  backend::Tensor wk;
  backend::Tensor wv;
  backend::Tensor wo;
  backend::Tensor ffn_norm;
  backend::Tensor ffn_gate;
  backend::Tensor ffn_up;
  backend::Tensor ffn_down;
};

struct ModelWeights {
  backend::Tensor tok_embd;
  backend::Tensor output_norm;
  backend::Tensor output;  // token_embd when the output head is tied
  std::optional<backend::Tensor> rope_freqs;
  std::vector<LayerWeights> layers;
};

Result<ModelWeights> bind_weights(const gguf::GgufFile& file, const ModelConfig& config, backend::Backend& backend);

}  // namespace rocmforge::model
