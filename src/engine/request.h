// What a caller gives the engine (Request) and what it gets back, event by
// event, on the request's stream (Event): text deltas, token ids with their
// log-probabilities, and at the end why generation stopped and what it cost.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/logprobs.h"
#include "engine/sampling_params.h"
#include "rocmforge/error.h"

namespace rocmforge::engine {

struct Request {
  std::string id;               // for logs; the engine does not require it to be unique
  std::vector<int32_t> prompt;  // token ids, BOS included when the model wants one
  // The request's own sampler settings, seed included (kRandomSeed: the engine
  // picks one). sampling.n_probs is not read: see top_logprobs.
  SamplingParams sampling;
  std::optional<int64_t> max_tokens;  // tokens to generate (>= 1); nullopt: until the context is full
  // Generation ends before the first occurrence of any of these (non-empty)
  // strings in the generated text, even across token boundaries; the stop
  // string itself is never emitted.
  std::vector<std::string> stop;
  bool ignore_eos = false;   // keep going after an end-of-generation token
  bool logprobs = false;     // report each generated token's log-probability
  int32_t top_logprobs = 0;  // ... and the k most likely alternatives at each step (needs logprobs)
};

enum class FinishReason {
  kStop,       // end-of-generation token or stop string
  kLength,     // max_tokens reached, or the context is full
  kCancelled,  // cancel(), the handle dropped, or shutdown's deadline
  kError,      // the engine could not continue this request (Finish::error says why)
};

// "stop", "length", "cancelled", "error": the OpenAI finish_reason for the first two.
std::string_view finish_reason_name(FinishReason reason);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;     // tokens sampled, an end-of-generation token included
  int64_t cached_prompt_tokens = 0;  // prompt tokens whose KV came from the prefix cache
};

// Seconds since submit(); a time that never came (no token) is nullopt.
struct RequestTimings {
  double queue_s = 0.0;  // until the request first ran
  std::optional<double> time_to_first_token_s;
  double end_to_end_s = 0.0;
};

struct GeneratedToken {
  int32_t id = 0;
  // Filled when the request asked for logprobs: log-softmax of the raw logits
  // (before penalties and temperature), and the top_logprobs best tokens.
  std::optional<float> logprob;
  std::vector<TokenLogprob> top_logprobs;
};

struct Finish {
  FinishReason reason = FinishReason::kStop;
  std::optional<std::string> stop_string;  // the stop string that ended generation
  Usage usage;
  RequestTimings timings;
  std::optional<Error> error;  // set for kError and kCancelled
};

// One step's output for one request. Text is valid UTF-8 and may be empty
// while bytes are held back (an incomplete character, or what could be the
// start of a stop string); concatenated over the stream it is the completion.
struct Event {
  std::string text;
  std::optional<GeneratedToken> token;  // the token sampled at this step, if it is part of the output
  std::optional<Finish> finish;         // set on the stream's last event only
};

}  // namespace rocmforge::engine
