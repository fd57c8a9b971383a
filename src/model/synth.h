// Synthetic models: llama-shaped GGUF files with random weights and a
// SentencePiece-style vocabulary, for tests and benchmarks at real shapes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/thread_pool.h"
#include "gguf/ggml_type.h"
#include "rocmforge/error.h"

namespace rocmforge::model {

struct SynthShape {
  std::string_view name;
  int64_t n_vocab;
  int64_t n_embd;
  int64_t n_layer;
  int64_t n_head;
  int64_t n_head_kv;
  int64_t n_ff;
  int64_t n_ctx;
  float rope_base;
  bool tied_output;
};

std::span<const SynthShape> synth_shapes();
Result<SynthShape> find_synth_shape(std::string_view name);

struct SynthOptions {
  SynthShape shape;
  gguf::GgmlType type = gguf::GgmlType::kF16;  // every matrix; norms stay f32
  uint64_t seed = 42;
};

// Writes the model to `path`, quantising on `pool`.
Status write_synth_model(const std::string& path, const SynthOptions& options, core::ThreadPool& pool);

}  // namespace rocmforge::model
