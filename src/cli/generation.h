// The token loop shared by `rocmforge run` and its chat mode: feed new tokens
// to a single-sequence session, then sample until end of generation, the token
// budget or the end of the context, streaming text as it completes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "engine/logprobs.h"
#include "engine/sampler.h"
#include "engine/session.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::cli {

struct GenerateOptions {
  int64_t n_predict = -1;  // -1: until end of generation or of the context
  bool ignore_eos = false;
  int top_logprobs = 0;
  bool stream = true;  // write text to stdout as it completes
};

struct Generation {
  std::vector<int32_t> prompt_tokens;  // the tokens fed before sampling
  std::vector<int32_t> tokens;         // sampled (the end-of-generation token excluded)
  std::string text;
  std::vector<std::vector<engine::TokenLogprob>> top_logprobs;
  double prompt_seconds = 0.0;
  double gen_seconds = 0.0;
  std::string stop_reason = "length";  // "eos", "length" or "context"
};

Result<Generation> generate(engine::Session& session, engine::Sampler& sampler, const tokenizer::Tokenizer& tok,
                            std::vector<int32_t> prompt, const GenerateOptions& options);

// Writes and flushes; an error when stdout is gone.
Status write_stdout(std::string_view text);

// "prompt: N tokens in X ms = Y tokens/s" and the same for generation, on stderr.
void print_speed(const Generation& g);

}  // namespace rocmforge::cli
