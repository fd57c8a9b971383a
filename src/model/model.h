// A loaded model: the mapped GGUF file, its validated configuration and its
// weights bound on a backend. The file stays mapped for the model's lifetime
// (the CPU backend computes straight from the mapping).
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"
#include "gguf/gguf_file.h"
#include "model/config.h"
#include "model/weights.h"

namespace rocmforge::model {

class Model {
 public:
  static Result<std::unique_ptr<Model>> load(const std::string& path, backend::Backend& backend,
                                             const gguf::Limits& limits = {});

  const gguf::GgufFile& file() const { return file_; }
  const ModelConfig& config() const { return config_; }
  const ModelWeights& weights() const { return weights_; }

 private:
  explicit Model(gguf::GgufFile file) : file_(std::move(file)) {}

  gguf::GgufFile file_;
  ModelConfig config_;
  ModelWeights weights_;
};

}  // namespace rocmforge::model
