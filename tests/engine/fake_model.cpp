#include "fake_model.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "gguf/gguf_file.h"
#include "gguf/gguf_writer.h"

namespace rocmforge::engine::testing {

std::unique_ptr<tokenizer::Tokenizer> letter_tokenizer() {
  std::vector<std::string> texts = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};  // unknown, control, control
  for (char c = 'a'; c <= 'z'; ++c) {
    texts.emplace_back(1, c);
    types.push_back(1);
  }
  const std::vector<float> scores(texts.size(), 0.0f);
  gguf::GgufWriter writer;
  writer.set_string("tokenizer.ggml.model", "llama");
  writer.set_string_array("tokenizer.ggml.tokens", std::move(texts));
  writer.set_f32_array("tokenizer.ggml.scores", scores);
  writer.set_i32_array("tokenizer.ggml.token_type", types);
  writer.set_u32("tokenizer.ggml.bos_token_id", 1);
  writer.set_u32("tokenizer.ggml.eos_token_id", kEos);
  const std::vector<std::byte> bytes = *writer.to_bytes();
  return *tokenizer::Tokenizer::from_gguf(*gguf::GgufFile::parse(bytes));
}

int32_t letter(char c) { return kFirstLetter + (c - 'a'); }

std::vector<int32_t> letters(std::string_view text) {
  std::vector<int32_t> ids;
  for (char c : text) ids.push_back(letter(c));
  return ids;
}

int32_t hashed_letter(std::span<const int32_t> history) {
  uint64_t h = 1469598103934665603ULL;
  for (int32_t t : history) h = (h ^ static_cast<uint64_t>(t + 1)) * 1099511628211ULL;
  return kFirstLetter + static_cast<int32_t>((h >> 29) % kLetters);
}

std::vector<int32_t> expected_tokens(const NextTokenRule& rule, std::vector<int32_t> prompt, int64_t n,
                                     bool ignore_eos) {
  std::vector<int32_t> out;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t t = rule(prompt);
    out.push_back(t);
    if (t == kEos && !ignore_eos) break;
    prompt.push_back(t);
  }
  return out;
}

void FakeModelLog::record(StepRecord step) {
  const std::lock_guard lock(mutex_);
  steps_.push_back(std::move(step));
}

std::vector<StepRecord> FakeModelLog::steps() const {
  const std::lock_guard lock(mutex_);
  return steps_;
}

void FakeModelLog::gate() {
  const std::lock_guard lock(mutex_);
  gated_ = true;
}

void FakeModelLog::allow_steps(int n) {
  {
    const std::lock_guard lock(mutex_);
    allowed_ += n;
  }
  changed_.notify_all();
}

void FakeModelLog::ungate() {
  {
    const std::lock_guard lock(mutex_);
    gated_ = false;
  }
  changed_.notify_all();
}

void FakeModelLog::wait_started(int n) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return started_ >= n; });
}

void FakeModelLog::wait_to_run() {
  std::unique_lock lock(mutex_);
  ++started_;
  changed_.notify_all();
  changed_.wait(lock, [&] { return !gated_ || allowed_ > 0; });
  if (gated_) --allowed_;
}

FakeRunner::FakeRunner(const EngineOptions& options, NextTokenRule rule, std::shared_ptr<FakeModelLog> log,
                       bool prompt_rows_differ)
    : block_size_(options.block_size),
      n_candidates_(options.n_candidates),
      rule_(std::move(rule)),
      log_(std::move(log)),
      slots_(static_cast<size_t>(options.n_kv_blocks * options.block_size), -1),
      prompt_rows_differ_(prompt_rows_differ) {}

Result<StepLogits> FakeRunner::run(const model::Batch& batch, std::span<const backend::BlockCopy> copies,
                                   LogitsWanted wanted) {
  log_->wait_to_run();
  for (const backend::BlockCopy& c : copies) {
    std::copy_n(slots_.begin() + c.src * block_size_, block_size_, slots_.begin() + c.dst * block_size_);
  }
  for (int32_t i = 0; i < batch.n_tokens(); ++i) slots_[static_cast<size_t>(batch.slots()[static_cast<size_t>(i)])] = batch.tokens()[static_cast<size_t>(i)];

  const std::vector<int32_t> tables = batch.block_tables();
  auto history_of = [&](int32_t row) -> Result<std::vector<int32_t>> {
    const int32_t seq = batch.token_seq()[static_cast<size_t>(row)];
    const int32_t pos = batch.positions()[static_cast<size_t>(row)];
    std::vector<int32_t> history;
    for (int32_t p = 0; p <= pos; ++p) {
      const int32_t block = tables[static_cast<size_t>(seq * batch.max_blocks() + p / block_size_)];
      const int32_t token = slots_[static_cast<size_t>(block * block_size_ + p % block_size_)];
      if (token < 0) return RF_ERROR(kInternal, "position {} of a sequence reads a KV slot never written", p);
      history.push_back(token);
    }
    return history;
  };

  StepRecord record{batch.n_tokens(), batch.n_seqs(), {}, {}, wanted};
  for (int32_t i = 0; i < batch.n_tokens(); ++i) {
    const int32_t seq = batch.token_seq()[static_cast<size_t>(i)];
    if (static_cast<size_t>(seq) == record.chunk_sizes.size()) {
      record.chunk_sizes.push_back(0);
      const int32_t block = tables[static_cast<size_t>(seq * batch.max_blocks())];
      record.first_tokens.push_back(slots_[static_cast<size_t>(block * block_size_)]);
    }
    ++record.chunk_sizes.back();
  }
  log_->record(std::move(record));

  const auto n_vocab = static_cast<size_t>(this->n_vocab());
  logits_.assign(batch.logit_rows().size() * n_vocab, 0.0f);
  for (size_t r = 0; r < batch.logit_rows().size(); ++r) {
    const std::vector<int32_t> history = RF_TRY(history_of(batch.logit_rows()[r]));
    const int32_t next = rule_(history);
    float* row = logits_.data() + r * n_vocab;
    row[static_cast<size_t>(next)] = 10.0f;
    // A runner-up, for the top-logprobs tests.
    row[static_cast<size_t>(kFirstLetter + (next - kFirstLetter + 1) % kLetters)] = 5.0f;
  }
  if (wanted == LogitsWanted::kRows) return StepLogits{logits_, {}, {}};
  if (wanted == LogitsWanted::kTopK) {
    select_top();
    const int64_t k = std::min<int64_t>(n_candidates_, n_vocab);
    return StepLogits{{}, {}, {k, top_values_, top_ids_, top_sums_}};
  }
  argmax_.clear();
  for (auto row = logits_.begin(); row != logits_.end(); row += static_cast<std::ptrdiff_t>(n_vocab)) {
    argmax_.push_back(static_cast<int32_t>(std::max_element(row, row + static_cast<std::ptrdiff_t>(n_vocab)) - row));
  }
  return StepLogits{{}, argmax_, {}};
}

// Each row's best, larger first and the lower id on ties (the fake's logits are never NaN).
void FakeRunner::select_top() {
  const auto n_vocab = static_cast<size_t>(this->n_vocab());
  const size_t k = std::min(static_cast<size_t>(n_candidates_), n_vocab);
  top_values_.clear();
  top_ids_.clear();
  top_sums_.clear();
  std::vector<int32_t> order(n_vocab);
  for (size_t r = 0; r < logits_.size() / n_vocab; ++r) {
    const float* row = logits_.data() + r * n_vocab;
    for (size_t i = 0; i < n_vocab; ++i) order[i] = static_cast<int32_t>(i);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return row[a] > row[b]; });
    double sum = 0.0;
    for (size_t i = 0; i < n_vocab; ++i) sum += std::exp(row[i] - row[order[0]]);
    for (size_t i = 0; i < k; ++i) {
      top_values_.push_back(row[order[i]]);
      top_ids_.push_back(order[i]);
    }
    top_sums_.push_back(static_cast<float>(sum));
  }
}

Result<std::span<const float>> FakeRunner::read_rows(std::span<const int32_t> rows) {
  const auto n_vocab = static_cast<size_t>(this->n_vocab());
  read_.clear();
  for (const int32_t r : rows) {
    if (r < 0 || static_cast<size_t>(r) >= logits_.size() / n_vocab) {
      return RF_ERROR(kInternal, "row {} of logits asked for, the last step had {}", r, logits_.size() / n_vocab);
    }
    read_.insert(read_.end(), logits_.begin() + static_cast<std::ptrdiff_t>(r * n_vocab),
                 logits_.begin() + static_cast<std::ptrdiff_t>((r + 1) * n_vocab));
  }
  return std::span<const float>(read_);
}

RunnerFactory fake_runner(NextTokenRule rule, std::shared_ptr<FakeModelLog> log, bool prompt_rows_differ) {
  return [rule = std::move(rule), log = std::move(log),
          prompt_rows_differ](const EngineOptions& o) -> Result<std::unique_ptr<ModelRunner>> {
    return std::unique_ptr<ModelRunner>(new FakeRunner(o, rule, log, prompt_rows_differ));
  };
}

}  // namespace rocmforge::engine::testing
