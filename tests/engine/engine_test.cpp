// The engine over the fake model: outputs, scheduling, limits, cancellation,
// shutdown and concurrency.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "engine_fixture.h"

namespace rocmforge::engine::testing {
namespace {

using std::chrono::milliseconds;

TEST(Engine, GeneratesWhatTheModelPredicts) {
  FakeEngine f(small_options());
  const std::vector<int32_t> prompt = letters("hello");
  auto handle = *f.engine->submit(greedy_request(prompt, 10));
  const Collected c = collect(*handle);
  const std::vector<int32_t> expected = expected_tokens(hashed_letter, prompt, 10);
  EXPECT_EQ(c.tokens, expected);
  EXPECT_EQ(c.text, f.tokenizer->decode(expected, false, false));
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->reason, FinishReason::kLength);
  EXPECT_EQ(c.finish->usage.prompt_tokens, 5);
  EXPECT_EQ(c.finish->usage.completion_tokens, 10);
  EXPECT_TRUE(handle->done());
  EXPECT_EQ(handle->next(milliseconds(1)), std::nullopt);
}

TEST(Engine, CreateReportsBadOptionsAndTheRunnersFailure) {
  const auto tok = letter_tokenizer();
  EngineOptions bad = small_options();
  bad.max_queue = 0;
  const auto log = std::make_shared<FakeModelLog>();
  const Result<std::unique_ptr<Engine>> rejected = Engine::create(fake_runner(hashed_letter, log), *tok, bad);
  ASSERT_FALSE(rejected);
  EXPECT_EQ(rejected.error().code(), ErrorCode::kInvalidArgument);

  const Result<std::unique_ptr<Engine>> failed = Engine::create(
      [](const EngineOptions&) -> Result<std::unique_ptr<ModelRunner>> {
        return RF_ERROR(kOutOfMemory, "no room for the KV pool");
      },
      *tok, small_options());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code(), ErrorCode::kOutOfMemory);

  EngineOptions defaults = small_options();
  defaults.n_kv_blocks = 0;
  EXPECT_EQ(defaults.resolved()->n_kv_blocks, 128 / 4);  // one full context
}

TEST(Engine, RunsRequestsFirstComeFirstServed) {
  EngineOptions o = small_options();
  o.max_seqs = 1;
  FakeEngine f(o);
  f.log->gate();  // hold the engine so that all three are queued before the first step
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 3; ++i) handles.push_back(*f.engine->submit(greedy_request(prompt_of(i, 4), 3)));
  f.log->ungate();
  for (auto& h : handles) collect(*h);
  std::vector<int32_t> order;
  for (const StepRecord& s : f.log->steps()) {
    ASSERT_EQ(s.n_seqs, 1);
    if (order.empty() || order.back() != s.first_tokens[0]) order.push_back(s.first_tokens[0]);
  }
  EXPECT_EQ(order, (std::vector<int32_t>{prompt_of(0, 4)[0], prompt_of(1, 4)[0], prompt_of(2, 4)[0]}));
}

TEST(Engine, SplitsLongPromptsUnderTheTokenBudget) {
  EngineOptions o = small_options();
  o.max_batch_tokens = 8;
  FakeEngine f(o);
  const std::vector<int32_t> prompt = prompt_of(1, 30);
  auto handle = *f.engine->submit(greedy_request(prompt, 4));
  const Collected c = collect(*handle);
  EXPECT_EQ(c.tokens, expected_tokens(hashed_letter, prompt, 4));
  const std::vector<StepRecord> steps = f.log->steps();
  ASSERT_GE(steps.size(), 4u + 3u);
  for (const StepRecord& s : steps) EXPECT_LE(s.n_tokens, 8);
  EXPECT_EQ(steps[0].n_tokens, 8);
  EXPECT_EQ(steps[3].n_tokens, 6);  // 30 = 8 + 8 + 8 + 6
}

TEST(Engine, DecodesAreNotStarvedByALongPrompt) {
  EngineOptions o = small_options();
  o.max_batch_tokens = 8;
  FakeEngine f(o);
  f.log->gate();
  auto a = *f.engine->submit(greedy_request(prompt_of(0, 3), 20));
  f.log->allow_steps(2);
  f.log->wait_started(3);  // a is decoding; its third step waits at the gate
  auto b = *f.engine->submit(greedy_request(prompt_of(1, 40), 2));
  f.log->ungate();
  collect(*b);
  collect(*a);
  // While b's prompt was being computed, every step also carried a's decode.
  int steps_with_both = 0;
  for (const StepRecord& s : f.log->steps()) {
    if (s.n_seqs == 2) {
      ++steps_with_both;
      EXPECT_EQ(s.chunk_sizes[0], 1);
      EXPECT_LE(s.n_tokens, 8);
    }
  }
  EXPECT_GE(steps_with_both, 5);  // 40 prompt tokens at most 7 a step
}

TEST(Engine, PreemptsUnderATinyPoolAndFinishesEveryRequest) {
  EngineOptions o = small_options();
  o.n_kv_blocks = 10;  // 40 slots for 6 requests that each grow to 22 tokens
  o.prefix_caching = false;
  FakeEngine f(o);
  std::vector<std::shared_ptr<RequestHandle>> handles;
  // All six queued before the first step, or a slow test thread could let each finish before the next arrives.
  f.log->gate();
  for (int i = 0; i < 6; ++i) handles.push_back(*f.engine->submit(greedy_request(prompt_of(i, 6), 16)));
  f.log->ungate();
  for (int i = 0; i < 6; ++i) {
    const Collected c = collect(*handles[static_cast<size_t>(i)]);
    ASSERT_TRUE(c.finish);
    EXPECT_EQ(c.finish->reason, FinishReason::kLength);
    EXPECT_EQ(c.tokens, expected_tokens(hashed_letter, prompt_of(i, 6), 16)) << "request " << i;
  }
  f.engine->shutdown(std::chrono::steady_clock::now());
  const EngineStats s = f.engine->stats();
  EXPECT_GT(s.preemptions, 0);
  EXPECT_EQ(s.kv_blocks_used, 0);
  EXPECT_EQ(s.requests_finished[static_cast<int>(FinishReason::kLength)], 6);
}

TEST(Engine, ARequestLargerThanThePoolFailsClearly) {
  EngineOptions o = small_options();
  o.n_kv_blocks = 3;  // 12 positions
  FakeEngine f(o);
  const Result<std::shared_ptr<RequestHandle>> too_long = f.engine->submit(greedy_request(prompt_of(0, 13), 1));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code(), ErrorCode::kInvalidArgument);

  auto grows = *f.engine->submit(greedy_request(prompt_of(0, 8), 20));
  const Collected c = collect(*grows);
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->reason, FinishReason::kError);
  ASSERT_TRUE(c.finish->error);
  EXPECT_EQ(c.finish->error->code(), ErrorCode::kCapacity);
  EXPECT_EQ(c.tokens.size(), 5u);  // positions 0..11 computed, the 5th token sampled from the last
  // The engine goes on serving.
  auto small = *f.engine->submit(greedy_request(prompt_of(1, 4), 2));
  EXPECT_EQ(collect(*small).finish->reason, FinishReason::kLength);
}

TEST(Engine, CancellationFreesBlocksAtTheNextStep) {
  FakeEngine f(small_options());
  f.log->gate();
  auto handle = *f.engine->submit(greedy_request(prompt_of(0, 10), 100));
  f.log->allow_steps(3);
  f.log->wait_started(4);  // three steps done, the fourth waits at the gate
  handle->cancel();
  f.log->allow_steps(1);  // the step in flight completes; the cancel is seen before the next
  const Collected c = collect(*handle);
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->reason, FinishReason::kCancelled);
  EXPECT_EQ(c.tokens.size(), 4u);
  f.log->ungate();
  f.engine->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  EXPECT_EQ(f.log->steps().size(), 4u);
  EXPECT_EQ(f.engine->stats().kv_blocks_used, 0);
  EXPECT_EQ(f.engine->stats().running, 0);
}

TEST(Engine, DroppingTheHandleCancelsTheRequest) {
  FakeEngine f(small_options());
  f.log->gate();
  {
    auto handle = *f.engine->submit(greedy_request(prompt_of(0, 10), 100));
    f.log->allow_steps(2);
    f.log->wait_started(3);
  }
  f.log->ungate();
  f.engine->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(10));
  const EngineStats s = f.engine->stats();
  EXPECT_EQ(s.requests_finished[static_cast<int>(FinishReason::kCancelled)], 1);
  EXPECT_LT(s.generated_tokens, 100);
}

TEST(Engine, AFullQueueIsCapacity) {
  EngineOptions o = small_options();
  o.max_queue = 2;
  FakeEngine f(o);
  f.log->gate();
  auto running = *f.engine->submit(greedy_request(prompt_of(0, 4), 5));
  f.log->wait_started(1);  // started: no longer queued
  auto a = *f.engine->submit(greedy_request(prompt_of(1, 4), 5));
  auto b = *f.engine->submit(greedy_request(prompt_of(2, 4), 5));
  const Result<std::shared_ptr<RequestHandle>> c = f.engine->submit(greedy_request(prompt_of(3, 4), 5));
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), ErrorCode::kCapacity);
  f.log->ungate();
  for (auto* h : {&running, &a, &b}) EXPECT_EQ(collect(**h).finish->reason, FinishReason::kLength);
  EXPECT_TRUE(f.engine->submit(greedy_request(prompt_of(3, 4), 5)));
}

TEST(Engine, RejectsInvalidRequests) {
  FakeEngine f(small_options());
  auto code_of = [&](Request r) {
    const Result<std::shared_ptr<RequestHandle>> h = f.engine->submit(std::move(r));
    return h ? std::optional<ErrorCode>() : h.error().code();
  };
  EXPECT_EQ(code_of(greedy_request({}, 4)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of(greedy_request(prompt_of(0, 128), 4)), ErrorCode::kInvalidArgument);  // the whole context
  EXPECT_EQ(code_of(greedy_request(prompt_of(0, 4), 0)), ErrorCode::kInvalidArgument);
  Request bad_p = greedy_request(prompt_of(0, 4), 4);
  bad_p.sampling.top_p = 2.0f;
  EXPECT_EQ(code_of(bad_p), ErrorCode::kInvalidArgument);
  Request empty_stop = greedy_request(prompt_of(0, 4), 4);
  empty_stop.stop = {"ab", ""};
  EXPECT_EQ(code_of(empty_stop), ErrorCode::kInvalidArgument);
  Request top_alone = greedy_request(prompt_of(0, 4), 4);
  top_alone.top_logprobs = 2;
  EXPECT_EQ(code_of(top_alone), ErrorCode::kInvalidArgument);
  EXPECT_EQ(code_of(greedy_request({3, 4, 99}, 4)), ErrorCode::kInvalidArgument);  // not in the vocabulary
  EXPECT_EQ(code_of(greedy_request(prompt_of(0, 127), 4)), std::nullopt);
}

// A model that spells the alphabet from the last letter on.
int32_t next_letter(std::span<const int32_t> history) {
  return kFirstLetter + (history.back() - kFirstLetter + 1) % kLetters;
}

TEST(Engine, StopStringsEndGenerationAcrossTokenBoundaries) {
  FakeEngine f(small_options(), next_letter);
  Request r = greedy_request(letters("a"), 20);
  r.stop = {"xyz", "def"};
  auto handle = *f.engine->submit(r);
  const Collected c = collect(*handle);
  ASSERT_TRUE(c.finish);
  EXPECT_EQ(c.finish->reason, FinishReason::kStop);
  EXPECT_EQ(c.finish->stop_string, "def");
  EXPECT_EQ(c.text, "bc");
  EXPECT_EQ(c.tokens, letters("bcdef"));
  // 'd' and 'e' were held back (they could start "def"), and never came out.
  for (const Event& e : c.events) EXPECT_EQ(e.text.find('d'), std::string::npos);
}

TEST(Engine, HeldBackTextComesOutWhenNoStopStringCompletes) {
  FakeEngine f(small_options(), next_letter);
  Request r = greedy_request(letters("a"), 3);
  r.stop = {"dx"};
  const Collected c = collect(**f.engine->submit(r));
  EXPECT_EQ(c.finish->reason, FinishReason::kLength);
  EXPECT_EQ(c.text, "bcd");
  EXPECT_EQ(c.finish->stop_string, std::nullopt);
}

int32_t eos_after_three(std::span<const int32_t> history) {
  return history.size() == 5 ? kEos : next_letter(history);
}

TEST(Engine, EndOfGenerationStopsUnlessIgnored) {
  FakeEngine f(small_options(), eos_after_three);
  const Collected stopped = collect(**f.engine->submit(greedy_request(letters("ab"), 10)));
  EXPECT_EQ(stopped.finish->reason, FinishReason::kStop);
  EXPECT_EQ(stopped.text, "cde");
  EXPECT_EQ(stopped.tokens, letters("cde"));
  EXPECT_EQ(stopped.finish->usage.completion_tokens, 4);  // the end-of-generation token counts

  Request r = greedy_request(letters("ab"), 6);
  r.ignore_eos = true;
  const Collected kept = collect(**f.engine->submit(r));
  EXPECT_EQ(kept.finish->reason, FinishReason::kLength);
  EXPECT_EQ(kept.tokens, expected_tokens(eos_after_three, letters("ab"), 6, true));
  EXPECT_EQ(kept.tokens[3], kEos);
}

TEST(Engine, StopsWhenTheContextIsFull) {
  EngineOptions o = small_options();
  o.n_ctx = 12;
  FakeEngine f(o);
  Request r = greedy_request(prompt_of(0, 8), 100);
  r.max_tokens.reset();
  const Collected c = collect(**f.engine->submit(r));
  EXPECT_EQ(c.finish->reason, FinishReason::kLength);
  EXPECT_EQ(c.tokens.size(), 4u);
}

TEST(Engine, ReportsLogprobsOfTheRawLogits) {
  FakeEngine f(small_options(), next_letter);
  Request r = greedy_request(letters("a"), 2);
  r.logprobs = true;
  r.top_logprobs = 2;
      r.ignore_eos = true;  // temperature 3 draws end-of-generation too
  const Collected c = collect(**f.engine->submit(r));
  ASSERT_EQ(c.events.size(), 3u);
  const GeneratedToken& t = *c.events[0].token;
  // Logits: 10 for the next letter, 5 for the one after, 0 for the other 27 tokens.
  const double log_sum = std::log(std::exp(10.0) + std::exp(5.0) + 27.0);
  ASSERT_TRUE(t.logprob);
  EXPECT_NEAR(*t.logprob, 10.0 - log_sum, 1e-5);
  ASSERT_EQ(t.top_logprobs.size(), 2u);
  EXPECT_EQ(t.top_logprobs[0].token, letter('b'));
  EXPECT_EQ(t.top_logprobs[1].token, letter('c'));
  EXPECT_NEAR(t.top_logprobs[1].logprob, 5.0 - log_sum, 1e-5);

  const Collected plain = collect(**f.engine->submit(greedy_request(letters("a"), 1)));
  EXPECT_FALSE(plain.events[0].token->logprob);
}

TEST(Engine, SharedPromptsHitThePrefixCacheWithTheSameOutput) {
  FakeEngine f(small_options());
  const std::vector<int32_t> prompt = prompt_of(3, 22);
  const std::vector<int32_t> expected = expected_tokens(hashed_letter, prompt, 6);
  const Collected first = collect(**f.engine->submit(greedy_request(prompt, 6)));
  EXPECT_EQ(first.finish->usage.cached_prompt_tokens, 0);
  const Collected again = collect(**f.engine->submit(greedy_request(prompt, 6)));
  EXPECT_EQ(again.tokens, expected);
  EXPECT_EQ(again.finish->usage.cached_prompt_tokens, 21);  // all but the last prompt token
  // Sharing only part of a block: the shared block is copied before it is written.
  std::vector<int32_t> other = prompt;
  other.resize(14);
  other.push_back(letter('q'));
  const Collected partial = collect(**f.engine->submit(greedy_request(other, 6)));
  EXPECT_EQ(partial.tokens, expected_tokens(hashed_letter, other, 6));
  EXPECT_EQ(partial.finish->usage.cached_prompt_tokens, 14);
  const EngineStats s = f.engine->stats();
  EXPECT_EQ(s.prefix_cache_hit_tokens, 21 + 14);
  EXPECT_EQ(s.prefix_cache_queried_tokens, 22 + 22 + 15);
  EXPECT_GT(s.prefix_cache_hit_rate(), 0.5);
}

// A model whose generated tokens' K/V comes from other kernels than a
// prompt's (ModelRunner::prompt_rows_differ): a later prompt that repeats an
// earlier request's prompt and output reuses only that prompt's blocks.
TEST(Engine, WhenPromptRowsDifferOnlyPromptBlocksEnterThePrefixCache) {
  for (const bool differ : {false, true}) {
    SCOPED_TRACE(differ ? "rows differ" : "rows alike");
    FakeEngine f(small_options(), hashed_letter, differ);
    const std::vector<int32_t> prompt = prompt_of(3, 22);
    const Collected first = collect(**f.engine->submit(greedy_request(prompt, 6)));
    std::vector<int32_t> next = prompt;
    next.insert(next.end(), first.tokens.begin(), first.tokens.end());
    next.push_back(letter('q'));
    const Collected second = collect(**f.engine->submit(greedy_request(next, 6)));
    EXPECT_EQ(second.tokens, expected_tokens(hashed_letter, next, 6));
    // Blocks of 4: five lie wholly in the 22-token prompt; the first request
    // computed 27 positions (its last token is never fed back), six whole blocks.
    EXPECT_EQ(second.finish->usage.cached_prompt_tokens, differ ? 20 : 24);
  }
}

TEST(Engine, ShutdownLetsRequestsFinishBeforeTheDeadline) {
  FakeEngine f(small_options());
  std::vector<std::shared_ptr<RequestHandle>> handles;
  for (int i = 0; i < 4; ++i) handles.push_back(*f.engine->submit(greedy_request(prompt_of(i, 5), 8)));
  f.engine->shutdown(std::chrono::steady_clock::now() + std::chrono::seconds(30));
  for (auto& h : handles) EXPECT_EQ(collect(*h).finish->reason, FinishReason::kLength);
  const Result<std::shared_ptr<RequestHandle>> late = f.engine->submit(greedy_request(prompt_of(0, 5), 8));
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kCapacity);
}

// A model that takes its time: 2 ms a step.
int32_t slow_letter(std::span<const int32_t> history) {
  std::this_thread::sleep_for(milliseconds(2));
  return hashed_letter(history);
}

TEST(Engine, ShutdownCancelsWhatIsLeftAtTheDeadline) {
  EngineOptions o = small_options();
  o.max_seqs = 1;
  FakeEngine f(o, slow_letter);
  auto running = *f.engine->submit(greedy_request(prompt_of(0, 5), 100));  // 200 ms at least
  auto waiting = *f.engine->submit(greedy_request(prompt_of(1, 5), 100));
  f.engine->shutdown(std::chrono::steady_clock::now() + milliseconds(20));
  const Collected a = collect(*running);
  const Collected b = collect(*waiting);
  EXPECT_EQ(a.finish->reason, FinishReason::kCancelled);
  EXPECT_LT(a.tokens.size(), 100u);
  EXPECT_EQ(b.finish->reason, FinishReason::kCancelled);
  EXPECT_EQ(b.finish->usage.completion_tokens, 0);
}

TEST(Engine, ReportsTimings) {
  EngineOptions o = small_options();
  std::mutex mutex;
  std::vector<TimingSample> samples;
  o.on_timing = [&](const TimingSample& s) {
    const std::lock_guard lock(mutex);
    samples.push_back(s);
  };
  FakeEngine f(o);
  const Collected c = collect(**f.engine->submit(greedy_request(prompt_of(0, 5), 4)));
  f.engine->shutdown(std::chrono::steady_clock::now());
  ASSERT_TRUE(c.finish->timings.time_to_first_token_s);
  EXPECT_LE(*c.finish->timings.time_to_first_token_s, c.finish->timings.end_to_end_s);
  const std::lock_guard lock(mutex);
  auto count = [&](TimingKind k) { return std::count_if(samples.begin(), samples.end(), [&](auto& s) { return s.kind == k; }); };
  EXPECT_EQ(count(TimingKind::kQueue), 1);
  EXPECT_EQ(count(TimingKind::kTimeToFirstToken), 1);
  EXPECT_EQ(count(TimingKind::kInterToken), 3);
  EXPECT_EQ(count(TimingKind::kEndToEnd), 1);
}

TEST(Engine, ServesManyConcurrentSubmitters) {
  EngineOptions o = small_options();
  o.n_kv_blocks = 40;
  o.max_queue = 1000;
  FakeEngine f(o);
  constexpr int kThreads = 6;
  constexpr int kPerThread = 12;
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        const std::vector<int32_t> prompt = prompt_of(t * kPerThread + k, 3 + (k % 9));
        auto h = f.engine->submit(greedy_request(prompt, 5 + k % 7));
        if (!h) {
          ++mismatches;
          continue;
        }
        if (k % 5 == 4) {
          (*h)->cancel();
          collect(**h);
          continue;
        }
        if (collect(**h).tokens != expected_tokens(hashed_letter, prompt, 5 + k % 7)) ++mismatches;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, 0);
  f.engine->shutdown(std::chrono::steady_clock::now());
  const EngineStats s = f.engine->stats();
  EXPECT_EQ(s.running + s.waiting, 0);
  EXPECT_EQ(s.kv_blocks_used, 0);
}

}  // namespace
}  // namespace rocmforge::engine::testing
