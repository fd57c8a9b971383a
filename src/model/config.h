// ModelConfig: every dimension and switch of a model, read from GGUF metadata
// and cross-checked against the tensor shapes (model/tensor_plan.h), so that a
// file whose metadata and weights disagree is rejected before anything is
// allocated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/arch.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

enum class RopeScaling { kNone, kLinear, kYarn, kLongRope };

struct RopeConfig {
  int64_t n_rot = 0;  // rotated dimensions per head (<= head_dim)
  float freq_base = 10000.0f;
  RopeScaling scaling = RopeScaling::kNone;
  float freq_scale = 1.0f;  // 1 / scaling factor
  int64_t n_ctx_orig = 0;   // training context before scaling
  float ext_factor = 0.0f;  // YaRN extrapolation mix (0 = off)
  float attn_factor = 1.0f;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  bool has_freq_factors = false;  // rope_freqs (Llama 3.1 style scaling)
  bool has_long_short = false;    // rope_factors_long/short (Phi-3 LongRoPE)
  // Sliding-window layers may use their own base and scale (Gemma 3).
  float freq_base_swa = 10000.0f;
  float freq_scale_swa = 1.0f;
};

// Which optional tensors the file has; they decide the tensor plan.
struct TensorLayout {
  bool fused_qkv = false;   // attn_qkv instead of attn_q/k/v
  bool qkv_bias = false;    // biases on the Q/K/V projections
  bool out_bias = false;    // attn_output.bias
  bool fused_up = false;    // ffn_up holds gate and up (2 x n_ff rows), no ffn_gate
  bool output_bias = false; // output.bias
  bool tied_output = false; // no output.weight: logits use token_embd
};

struct ModelConfig {
  const ArchSpec* arch = nullptr;
  std::string name;
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;    // key/query size per head
  int64_t head_dim_v = 0;  // value size per head
  int64_t n_ff = 0;
  float rms_eps = 1e-5f;
  RopeConfig rope;
  TensorLayout layout;

  // Attention: Q is multiplied by q_scale before attention when it is not 0
  // (then the attention itself scales by 1), else attention scales by attn_scale.
  float q_scale = 0.0f;
  float attn_scale = 1.0f;
  float attn_softcap = 0.0f;   // tanh soft-capping of attention scores (0: off)
  float final_softcap = 0.0f;  // of the logits
  float embed_scale = 0.0f;    // embeddings multiplied by this (0: off)
  int64_t swa_window = 0;      // sliding window of the sliding layers (0: none)
  std::vector<bool> swa_layers;

  // Mixture of experts (n_expert == 0: dense feed-forward).
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_ff_exp = 0;
  int64_t n_ff_shexp = 0;
  float expert_weights_scale = 0.0f;

  uint64_t n_params = 0;  // all tensor elements

  int64_t n_gqa() const { return n_head / n_head_kv; }
  int64_t q_width() const { return n_head * head_dim; }
  int64_t k_width() const { return n_head_kv * head_dim; }
  int64_t v_width() const { return n_head_kv * head_dim_v; }
  bool is_swa(int64_t layer) const { return swa_window > 0 && swa_layers[static_cast<size_t>(layer)]; }
};

Result<ModelConfig> load_config(const gguf::GgufFile& file);

}  // namespace rocmforge::model
