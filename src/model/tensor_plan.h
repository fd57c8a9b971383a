// The tensors a configuration needs, by name and exact shape: one list that
// validates a file (config), binds weights (weights) and writes synthetic
// models (synth), so the three can never disagree.
#pragma once

#include <string>
#include <vector>

#include "gguf/gguf_file.h"
#include "model/config.h"

namespace rocmforge::model {

enum class TensorRole {
  kMatrix,  // a weight matrix of any supported type: ne = {cols, rows}
  kExperts, // stacked expert matrices: ne = {cols, rows, n_expert}
  kVector,  // norm weights, biases, frequency factors: F32, ne = {n}
};

struct TensorSpec {
  std::string name;
  std::vector<int64_t> ne;
  TensorRole role;
  bool required = true;
  const char* what = "";  // the dimensions it is checked against, for messages
};

std::vector<TensorSpec> tensor_plan(const ModelConfig& config);

// Every required tensor present with its shape, optional ones shaped right if
// present, vectors F32, and no tensor the plan does not know (an unsupported
// variant of the architecture is an error, not silently ignored weights).
Status check_tensor_plan(const gguf::GgufFile& file, const ModelConfig& config);

}  // namespace rocmforge::model
