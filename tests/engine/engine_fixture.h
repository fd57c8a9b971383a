// Shared helpers of the engine tests: an engine over the fake model, and a
// consumer that reads a request's whole stream.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "fake_model.h"

namespace rocmforge::engine::testing {

struct Collected {
  std::string text;
  std::vector<int32_t> tokens;
  std::vector<Event> events;
  std::optional<Finish> finish;
};

// Reads events until the finish event (or gives up after `timeout` without one).
Collected collect(RequestHandle& handle, std::chrono::seconds timeout = std::chrono::seconds(30));

Request greedy_request(std::vector<int32_t> prompt, int64_t max_tokens);

// Small limits for the fake model: 32-token steps of up to 8 sequences, 64 blocks of 4.
EngineOptions small_options();
// The i-th of a set of distinct n-letter prompts.
std::vector<int32_t> prompt_of(int i, int n);

struct FakeEngine {
  std::unique_ptr<tokenizer::Tokenizer> tokenizer = letter_tokenizer();
  std::shared_ptr<FakeModelLog> log = std::make_shared<FakeModelLog>();
  std::unique_ptr<Engine> engine;

  explicit FakeEngine(EngineOptions options, NextTokenRule rule = hashed_letter, bool prompt_rows_differ = false);
};

}  // namespace rocmforge::engine::testing
