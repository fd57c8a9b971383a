// Runs a model greedily through the library, the way the end-to-end tests
// compare it with llama.cpp's references.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "engine/session.h"
#include "model/forward.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::testing {

struct GreedyStep {
  int32_t token;
  std::vector<float> logits;  // the full row the token was picked from
};

class GreedyRunner {
 public:
  static Result<std::unique_ptr<GreedyRunner>> open(const std::string& path, backend::KvTypes kv_types,
                                                    int n_threads = 2, int64_t n_ctx = 512);

  const tokenizer::Tokenizer& tokenizer() const { return *tokenizer_; }
  const model::ModelConfig& config() const { return model_->config(); }

  // Prompt ids as `rocmforge run` makes them (BOS per metadata, special tokens parsed).
  Result<std::vector<int32_t>> encode(const std::string& prompt) const;
  // n greedy steps after the prompt, ignoring end of sequence.
  Result<std::vector<GreedyStep>> generate(const std::vector<int32_t>& prompt, int n);

 private:
  std::unique_ptr<backend::CpuBackend> backend_;
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<model::ForwardPass> forward_;
  std::unique_ptr<engine::Session> session_;
};

// Index of the largest value; the lowest index wins ties (llama.cpp's greedy rule).
int32_t argmax(const std::vector<float>& v);

// Ids of the k largest values, descending.
std::vector<int32_t> top_ids(const std::vector<float>& v, int k);

// log-softmax of row[id].
double logprob(const std::vector<float>& row, int32_t id);

}  // namespace rocmforge::testing
