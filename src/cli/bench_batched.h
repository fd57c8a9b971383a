// rocmforge bench -b: aggregate decode throughput of several sequences
// generating together (llama-batched-bench's S_TG column).
#pragma once

#include <cstdint>
#include <random>

#include "backend/backend.h"
#include "model/config.h"
#include "model/weights.h"
#include "rocmforge/error.h"

namespace rocmforge::cli {

struct BatchedDecode {
  int n_seqs = 1;
  int n_prompt = 512;  // tokens each sequence holds before generating (processed untimed)
  int n_gen = 128;     // timed decode steps, one token per sequence each
  // Prompt tokens beside the decodes in every decode step (0: none): a
  // sequence of its own recomputes its first n_beside positions each step,
  // the shape of a serving step that shares a prompt chunk with decodes.
  int n_beside = 0;
  int64_t n_ubatch = 512;
  int64_t ctx_size = 0;  // positions each sequence's cache is sized for, if more than the test needs
  backend::KvTypes kv_types;
};

// Tokens per second over all sequences during the timed decode steps.
Result<double> time_batched_decode(const model::ModelConfig& config, const model::ModelWeights& weights,
                                   backend::Backend& backend, const BatchedDecode& test, std::mt19937& rng);

}  // namespace rocmforge::cli
