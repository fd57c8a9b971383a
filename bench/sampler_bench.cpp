// Cost of sampling one token from a 150k-token vocabulary (Qwen2's 151,936),
// for the default chain and the paths that touch the whole vocabulary.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "engine/logprobs.h"
#include "engine/sampler.h"

namespace rocmforge::engine {
namespace {

constexpr int32_t kVocab = 151936;

// Roughly the shape of real logits: a broad normal bulk.
std::vector<float> bulk_logits(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 2.5f);
  std::vector<float> logits(kVocab);
  for (float& l : logits) l = normal(rng);
  return logits;
}

void run(benchmark::State& state, SamplingParams params, bool with_history) {
  params.seed = 1;
  if (with_history) params.repeat_penalty = 1.1f;
  auto sampler = std::move(Sampler::create(params, kVocab, 4096)).value();
  if (with_history) {
    std::mt19937_64 rng(2);
    for (int i = 0; i < 64; ++i) (void)sampler.accept(static_cast<int32_t>(rng() % kVocab));
  }
  const std::vector<float> logits = bulk_logits(3);
  for (auto _ : state) benchmark::DoNotOptimize(sampler.sample(logits));
  state.SetBytesProcessed(state.iterations() * kVocab * static_cast<int64_t>(sizeof(float)));
}

void BM_DefaultChain(benchmark::State& state) { run(state, SamplingParams{}, state.range(0) != 0); }
BENCHMARK(BM_DefaultChain)->ArgName("penalties")->Arg(0)->Arg(1);

void BM_Greedy(benchmark::State& state) {
  SamplingParams p;
  p.temperature = 0.0f;
  run(state, p, state.range(0) != 0);
}
BENCHMARK(BM_Greedy)->ArgName("penalties")->Arg(0)->Arg(1);

void BM_TopPWithoutTopK(benchmark::State& state) {
  SamplingParams p;
  p.top_k = 0;
  p.min_p = 0.0f;
  p.top_p = static_cast<float>(state.range(0)) / 100.0f;
  run(state, p, false);
}
BENCHMARK(BM_TopPWithoutTopK)->ArgName("top_p%")->Arg(50)->Arg(95);

void BM_MinPWithoutTopK(benchmark::State& state) {
  SamplingParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  run(state, p, false);
}
BENCHMARK(BM_MinPWithoutTopK);

void BM_NoFilters(benchmark::State& state) {
  SamplingParams p;
  p.top_k = 0;
  p.top_p = 1.0f;
  p.min_p = 0.0f;
  run(state, p, false);
}
BENCHMARK(BM_NoFilters);

void BM_TopLogprobs(benchmark::State& state) {
  const std::vector<float> logits = bulk_logits(3);
  for (auto _ : state) {
    const LogSoftmax log_softmax(logits);
    benchmark::DoNotOptimize(log_softmax.top(static_cast<int>(state.range(0))));
    benchmark::DoNotOptimize(log_softmax.logprob(7));
  }
  state.SetBytesProcessed(state.iterations() * kVocab * static_cast<int64_t>(sizeof(float)));
}
BENCHMARK(BM_TopLogprobs)->ArgName("k")->Arg(5)->Arg(20);

}  // namespace
}  // namespace rocmforge::engine
