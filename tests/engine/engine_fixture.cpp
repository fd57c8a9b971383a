#include "engine_fixture.h"

#include <gtest/gtest.h>

namespace rocmforge::engine::testing {

Collected collect(RequestHandle& handle, std::chrono::seconds timeout) {
  Collected c;
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!c.finish && std::chrono::steady_clock::now() < give_up) {
    std::optional<Event> event = handle.next(std::chrono::milliseconds(100));
    if (!event) continue;
    c.text += event->text;
    if (event->token) c.tokens.push_back(event->token->id);
    if (event->finish) c.finish = event->finish;
    c.events.push_back(std::move(*event));
  }
  EXPECT_TRUE(c.finish.has_value()) << "request " << handle.id() << " did not finish";
  return c;
}

Request greedy_request(std::vector<int32_t> prompt, int64_t max_tokens) {
  Request r;
  r.prompt = std::move(prompt);
  r.sampling.temperature = 0.0f;
  r.max_tokens = max_tokens;
  return r;
}

EngineOptions small_options() {
  EngineOptions o;
  o.max_batch_tokens = 32;
  o.max_seqs = 8;
  o.block_size = 4;
  o.n_kv_blocks = 64;
  o.n_ctx = 128;
  return o;
}

std::vector<int32_t> prompt_of(int i, int n) {
  std::vector<int32_t> p;
  for (int k = 0; k < n; ++k) p.push_back(kFirstLetter + (i * 7 + k * 3) % kLetters);
  return p;
}

FakeEngine::FakeEngine(EngineOptions options, NextTokenRule rule, bool prompt_rows_differ) {
  auto created = Engine::create(fake_runner(std::move(rule), log, prompt_rows_differ), *tokenizer, options);
  EXPECT_TRUE(created) << created.error().to_string();
  if (created) engine = std::move(*created);
}

}  // namespace rocmforge::engine::testing
