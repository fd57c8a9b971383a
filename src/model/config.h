// ModelConfig: every dimension of a model, read from GGUF metadata and
// cross-checked against the tensor shapes, so that a file whose metadata and
// weights disagree is rejected before anything is allocated.
#pragma once

#include <cstdint>
#include <string>

#include "gguf/gguf_file.h"
#include "model/arch.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

enum class RopeScaling { kNone, kLinear, kYarn };

struct RopeConfig {
  int64_t n_rot = 0;            // rotated dimensions per head (<= head_dim)
  float freq_base = 10000.0f;
  RopeScaling scaling = RopeScaling::kNone;
  float freq_scale = 1.0f;      // 1 / scaling factor
  int64_t n_ctx_orig = 0;       // training context before scaling
  float ext_factor = 0.0f;      // YaRN extrapolation mix (0 = off)
  float attn_factor = 1.0f;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  bool has_freq_factors = false;  // a rope_freqs tensor (Llama 3.1 style scaling)
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
  bool tied_output = false;  // no output.weight: logits use token_embd

  int64_t n_gqa() const { return n_head / n_head_kv; }
  int64_t q_width() const { return n_head * head_dim; }
  int64_t k_width() const { return n_head_kv * head_dim; }
  int64_t v_width() const { return n_head_kv * head_dim_v; }
  uint64_t n_params = 0;  // all tensor elements
};

Result<ModelConfig> load_config(const gguf::GgufFile& file);

}  // namespace rocmforge::model
