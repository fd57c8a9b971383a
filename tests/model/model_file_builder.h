// Builds small llama GGUF files for tests: a valid synthetic model, and
// copies of it with one piece of metadata or one tensor changed.
#pragma once

#include <functional>
#include <string>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"
#include "model/synth.h"

namespace rocmforge::testing {

// A small random-weight llama (2 layers, 64-wide, 128 tokens) written to a
// temporary file; returns its path.
std::string write_small_model(const std::string& name, gguf::GgmlType type = gguf::GgmlType::kF32,
                              bool tied_output = false);

// A random-weight model of one of `rocmforge synth`'s shapes ("tiny",
// "tiny-qwen3", ...) in `type`, written to a temporary file; returns its path.
std::string write_synth_shape_model(const std::string& shape, gguf::GgmlType type, const std::string& name);

struct ModelEdit {
  // Called with the writer after the original metadata was copied: may set or replace keys.
  std::function<void(gguf::GgufWriter&)> metadata;
  // Tensors for which this returns false are dropped.
  std::function<bool(const gguf::TensorInfo&)> keep_tensor;
  // May replace a tensor's shape (ne); the bytes are resized to match.
  std::function<void(const gguf::TensorInfo&, std::vector<int64_t>&)> reshape;

  // One kind of edit each (an aggregate initialiser naming one member draws
  // GCC's -Wmissing-field-initializers for the others).
  static ModelEdit of_metadata(std::function<void(gguf::GgufWriter&)> f) {
    ModelEdit e;
    e.metadata = std::move(f);
    return e;
  }
  static ModelEdit keeping(std::function<bool(const gguf::TensorInfo&)> f) {
    ModelEdit e;
    e.keep_tensor = std::move(f);
    return e;
  }
  static ModelEdit reshaping(std::function<void(const gguf::TensorInfo&, std::vector<int64_t>&)> f) {
    ModelEdit e;
    e.reshape = std::move(f);
    return e;
  }
};

// Copies `source` to a new temporary file with `edit` applied; returns its path.
std::string write_edited_copy(const std::string& source, const std::string& name, const ModelEdit& edit);

}  // namespace rocmforge::testing
