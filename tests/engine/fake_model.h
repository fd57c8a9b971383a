// A deterministic stand-in for the model, for engine tests without weights.
//
// It keeps the token written at every KV slot, as store_kv would keep K/V,
// applies block copies like the backend, and reads each sequence's history
// back through its block table. The next token is a function of that history
// only, so any bookkeeping error (a wrong block table, a shared block
// overwritten, a missed copy) changes the output, and tests can predict the
// correct output by applying the same rule to the plain token list.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/engine.h"
#include "engine/model_runner.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::engine::testing {

// Maps a history (prompt and generated tokens) to the next token.
using NextTokenRule = std::function<int32_t(std::span<const int32_t> history)>;

// A vocabulary of <unk>, <s>, </s> (end of generation, id 2), then the
// letters 'a'..'z' (ids 3..28): the text of an id sequence is its letters.
std::unique_ptr<tokenizer::Tokenizer> letter_tokenizer();
inline constexpr int32_t kEos = 2;
inline constexpr int32_t kFirstLetter = 3;
inline constexpr int32_t kLetters = 26;
int32_t letter(char c);
std::vector<int32_t> letters(std::string_view text);

// A letter chosen by a hash of the whole history (never end of generation).
int32_t hashed_letter(std::span<const int32_t> history);

// What the rule generates greedily after `prompt`: up to `n` tokens, stopping
// after an end-of-generation token unless ignore_eos.
std::vector<int32_t> expected_tokens(const NextTokenRule& rule, std::vector<int32_t> prompt, int64_t n,
                                     bool ignore_eos = false);

struct StepRecord {
  int32_t n_tokens;
  int32_t n_seqs;
  std::vector<int32_t> first_tokens;  // each sequence's token at position 0: which requests ran
  std::vector<int32_t> chunk_sizes;
  LogitsWanted wanted;  // what the engine asked for
};

// The fake's observable state, shared with the test thread.
class FakeModelLog {
 public:
  void record(StepRecord step);
  std::vector<StepRecord> steps() const;
  // Makes each later step wait for allow_steps(); a gated fake runs only the steps allowed.
  void gate();
  void allow_steps(int n);
  void ungate();
  // Blocks until `n` steps have started in total.
  void wait_started(int n);
  void wait_to_run();

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<StepRecord> steps_;
  int started_ = 0;
  bool gated_ = false;
  int allowed_ = 0;
};

class FakeRunner final : public ModelRunner {
 public:
  // prompt_rows_differ: report that generated tokens' K/V comes from other
  // kernels than a prompt's (ModelRunner::prompt_rows_differ).
  FakeRunner(const EngineOptions& options, NextTokenRule rule, std::shared_ptr<FakeModelLog> log,
             bool prompt_rows_differ = false);

  int32_t n_vocab() const override { return kFirstLetter + kLetters; }
  bool prompt_rows_differ() const override { return prompt_rows_differ_; }
  // Rows of logits, or with kArgmax the id of each row's largest logit, or
  // with kTopK each row's options.n_candidates best (as Backend::top_k).
  Result<StepLogits> run(const model::Batch& batch, std::span<const backend::BlockCopy> copies,
                         LogitsWanted wanted) override;
  Result<std::span<const float>> read_rows(std::span<const int32_t> rows) override;

 private:
  void select_top();

  int64_t block_size_;
  int64_t n_candidates_;
  NextTokenRule rule_;
  std::shared_ptr<FakeModelLog> log_;
  std::vector<int32_t> slots_;  // the token at each KV slot; -1: never written
  std::vector<float> logits_;
  std::vector<int32_t> argmax_;
  std::vector<float> top_values_;
  std::vector<int32_t> top_ids_;
  std::vector<float> top_sums_;
  std::vector<float> read_;
  bool prompt_rows_differ_;
};

// A factory for Engine::create.
RunnerFactory fake_runner(NextTokenRule rule, std::shared_ptr<FakeModelLog> log, bool prompt_rows_differ = false);

}  // namespace rocmforge::engine::testing
