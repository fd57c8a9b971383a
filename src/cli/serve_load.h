// The load generator of `rocmforge bench-serve`: streaming completion
// requests with random token-id prompts of a fixed length and a fixed
// number of generated tokens (ignore_eos), sent at a fixed concurrency or
// with Poisson arrivals at a rate, each timed from the client's side as
// vLLM's serving benchmark times them.
#pragma once

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "rocmforge/error.h"

namespace rocmforge::cli {

struct LoadOptions {
  std::string url;      // "http://host:port" (https too)
  std::string api_key;  // sent as a bearer token when not empty
  std::string model;    // empty: the server's first model
  int64_t n_requests = 100;
  int64_t concurrency = 0;  // requests in flight at most; 0: no bound (then a rate is needed)
  double request_rate = std::numeric_limits<double>::infinity();  // requests/s, Poisson arrivals
  int64_t input_len = 128;
  int64_t output_len = 128;
  int32_t vocab_size = 0;  // prompt ids are drawn below it; 0: ask the server
  // Prompts and arrival times. A fresh seed by default: the same prompts
  // again would hit the server's prefix cache and flatter its prefill.
  std::optional<uint64_t> seed;
  int64_t warmup = 1;  // requests sent (and not counted) before the clock starts
  std::chrono::seconds timeout{600};
};

// One request as the client saw it.
struct RequestRecord {
  bool ok = false;
  std::string error;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  double ttft_s = 0.0;        // send to the first token's chunk
  std::vector<double> itl_s;  // between consecutive chunks that carry tokens
  double e2e_s = 0.0;         // send to the end of the stream
};

struct LoadRun {
  std::vector<RequestRecord> records;
  double duration_s = 0.0;  // the first send to the last answer
  int64_t concurrency = 0;  // the bound used; 0: none
  std::string model;
  uint64_t seed = 0;
};

// The server's model (when options.model is empty) and vocabulary size
// come from its /v1/models (its "meta" object, as rocmforge and
// llama-server give it) unless given.
Result<LoadRun> run_load(LoadOptions options);

}  // namespace rocmforge::cli
