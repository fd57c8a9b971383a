#include "greedy_runner.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace rocmforge::testing {

Result<std::unique_ptr<GreedyRunner>> GreedyRunner::open(const std::string& path, backend::KvTypes kv_types,
                                                         int n_threads, int64_t n_ctx) {
  auto r = std::make_unique<GreedyRunner>();
  r->backend_ = std::make_unique<backend::CpuBackend>(n_threads);
  r->model_ = RF_TRY(model::Model::load(path, *r->backend_));
  r->tokenizer_ = RF_TRY(tokenizer::Tokenizer::from_gguf(r->model_->file()));
  model::ForwardOptions fo;
  fo.max_seqs = 1;
  fo.max_seq_len = n_ctx;
  fo.kv_types = kv_types;
  r->forward_ = RF_TRY(model::ForwardPass::create(r->model_->config(), r->model_->weights(), *r->backend_, fo));
  r->session_ = std::make_unique<engine::Session>(*r->forward_, n_ctx);
  return r;
}

Result<std::vector<int32_t>> GreedyRunner::encode(const std::string& prompt) const {
  return tokenizer_->encode(prompt, true, true);
}

Result<std::vector<GreedyStep>> GreedyRunner::generate(const std::vector<int32_t>& prompt, int n) {
  session_->reset();
  std::vector<GreedyStep> steps;
  std::span<const float> logits = RF_TRY(session_->append(prompt));
  for (int i = 0; i < n; ++i) {
    GreedyStep step{0, std::vector<float>(logits.begin(), logits.end())};
    step.token = argmax(step.logits);
    steps.push_back(step);
    if (i + 1 < n) logits = RF_TRY(session_->append(std::span<const int32_t>(&steps.back().token, 1)));
  }
  return steps;
}

int32_t argmax(const std::vector<float>& v) {
  return static_cast<int32_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

std::vector<int32_t> top_ids(const std::vector<float>& v, int k) {
  std::vector<int32_t> ids(v.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::partial_sort(ids.begin(), ids.begin() + k, ids.end(), [&](int32_t a, int32_t b) {
    return v[static_cast<size_t>(a)] > v[static_cast<size_t>(b)] ||
           (v[static_cast<size_t>(a)] == v[static_cast<size_t>(b)] && a < b);
  });
  ids.resize(static_cast<size_t>(k));
  return ids;
}

double logprob(const std::vector<float>& row, int32_t id) {
  const float max = *std::max_element(row.begin(), row.end());
  double sum = 0.0;
  for (float x : row) sum += std::exp(static_cast<double>(x) - max);
  return static_cast<double>(row[static_cast<size_t>(id)]) - max - std::log(sum);
}

}  // namespace rocmforge::testing
