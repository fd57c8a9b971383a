// Synthetic models: GGUF files of any supported architecture with random
// weights, at tiny shapes for tests and at real shapes for benchmarks. The
// tensors come from the same plan that validates real files.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/thread_pool.h"
#include "gguf/ggml_type.h"
#include "model/file_type.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

struct SynthShape {
  std::string_view name;
  std::string_view arch;  // general.architecture
  int64_t n_vocab;
  int64_t n_embd;
  int64_t n_layer;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t n_ff;
  int64_t n_ctx = 4096;
  float rope_base = 10000.0f;
  bool tied_output = false;
  int64_t head_dim = 0;  // 0: n_embd / n_head
  int64_t n_rot = 0;     // 0: the head size
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_ff_exp = 0;
  int64_t n_ff_shexp = 0;
  int64_t swa_window = 0;
  bool fused_qkv = false;
  bool qkv_bias = false;
  // Long-context RoPE: "linear", "yarn" or "longrope" scaling over n_ctx_orig
  // positions by rope_factor, or Llama 3.1's frequency factors (rope_freqs).
  std::string_view rope_scaling = {};
  float rope_factor = 0.0f;
  int64_t n_ctx_orig = 0;
  float rope_attn_factor = 0.0f;
  bool rope_freqs = false;
};

std::span<const SynthShape> synth_shapes();
Result<SynthShape> find_synth_shape(std::string_view name);

struct SynthOptions {
  SynthShape shape;
  gguf::GgmlType type = gguf::GgmlType::kF16;  // every matrix; norms and biases stay f32
  // Instead of `type`, a llama.cpp file type's mixture (Q4_K_M, ...): each
  // matrix gets the type llama-quantize would give it (quant_mixture.h).
  std::optional<FileTypeInfo> file_type;
  uint64_t seed = 42;
  // A GGUF whose tokenizer.* metadata is copied (a real vocabulary); its token
  // count replaces the shape's. Empty: a generated SentencePiece vocabulary.
  std::string vocab_path;
};

// Writes the model to `path`, quantising on `pool`.
Status write_synth_model(const std::string& path, const SynthOptions& options, core::ThreadPool& pool);

}  // namespace rocmforge::model
