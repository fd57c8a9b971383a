// The knobs of token sampling, with llama.cpp's names, defaults and meanings,
// so that users can carry their llama-cli / llama-server settings over unchanged.
#pragma once

#include <cstdint>

#include "rocmforge/error.h"

namespace rocmforge::engine {

// llama.cpp's LLAMA_DEFAULT_SEED: "pick a random seed" rather than a seed.
inline constexpr uint64_t kRandomSeed = 0xFFFFFFFF;

struct SamplingParams {
  float temperature = 0.8f;       // <= 0: greedy (argmax), as in llama.cpp
  int32_t top_k = 40;             // <= 0: off
  float top_p = 0.95f;            // >= 1: off
  float min_p = 0.05f;            // <= 0: off
  float repeat_penalty = 1.0f;    // 1: off
  int32_t repeat_last_n = 64;     // penalty window; 0: off, -1: the context size
  float presence_penalty = 0.0f;  // subtracted once from every token in the window
  float frequency_penalty = 0.0f; // subtracted once per occurrence in the window
  uint64_t seed = kRandomSeed;
  int32_t min_keep = 0;           // top_p and min_p keep at least this many tokens
  int32_t n_probs = 0;            // how many top log-probabilities to report per token

  // Rejects values with no meaning (NaN, top_p outside [0, 1], a window below -1 ...),
  // naming the field. Negative temperature is valid: it means greedy.
  Status validate() const;
};

}  // namespace rocmforge::engine
