#include "cli/bench_batched.h"

#include <chrono>
#include <numeric>
#include <span>
#include <vector>

#include "model/batch.h"
#include "model/forward.h"

namespace rocmforge::cli {

// Each sequence gets its own run of KV blocks. Two untimed decode steps come
// first, so a GPU backend has recorded the step's graph before the clock starts.
Result<double> time_batched_decode(const model::ModelConfig& config, const model::ModelWeights& weights,
                                   backend::Backend& backend, const BatchedDecode& t, std::mt19937& rng) {
  constexpr int kWarmup = 2;
  if (t.n_seqs <= 0 || t.n_prompt <= 0 || t.n_gen <= 0) {
    return RF_ERROR(kInvalidArgument, "batched decode needs positive sequence, prompt and generation counts");
  }
  if (t.n_beside < 0) return RF_ERROR(kInvalidArgument, "--prompt-beside must not be negative, got {}", t.n_beside);
  model::ForwardOptions fo;
  fo.max_batch_tokens = std::max<int64_t>(t.n_ubatch, t.n_seqs + t.n_beside);
  fo.max_seqs = t.n_seqs + (t.n_beside > 0 ? 1 : 0);
  fo.max_seq_len = std::max<int64_t>({t.n_prompt + kWarmup + t.n_gen, t.n_beside, t.ctx_size});
  fo.kv_types = t.kv_types;
  const int64_t blocks_per_seq = (fo.max_seq_len + fo.block_size - 1) / fo.block_size;
  fo.kv_blocks = blocks_per_seq * fo.max_seqs;
  auto forward = RF_TRY(model::ForwardPass::create(config, weights, backend, fo));

  // One table per sequence, the last for the prompt beside the decodes.
  std::vector<std::vector<int32_t>> tables(static_cast<size_t>(fo.max_seqs));
  for (int s = 0; s < fo.max_seqs; ++s) {
    auto& table = tables[static_cast<size_t>(s)];
    table.resize(static_cast<size_t>(blocks_per_seq));
    std::iota(table.begin(), table.end(), static_cast<int32_t>(s * blocks_per_seq));
  }
  std::uniform_int_distribution<int32_t> pick(0, static_cast<int32_t>(config.n_vocab - 1));
  model::Batch batch;
  // The prompts fill steps of up to n_ubatch tokens, several sequences to a
  // step when they fit (a prompt longer than what is left is split).
  std::vector<std::vector<int32_t>> prompts(static_cast<size_t>(t.n_seqs));
  for (auto& prompt : prompts) {
    prompt.resize(static_cast<size_t>(t.n_prompt));
    for (int32_t& id : prompt) id = pick(rng);
  }
  batch.clear();
  for (int s = 0; s < t.n_seqs; ++s) {
    const std::span<const int32_t> prompt(prompts[static_cast<size_t>(s)]);
    for (int begin = 0; begin < t.n_prompt;) {
      const int n = std::min(t.n_prompt - begin, static_cast<int>(fo.max_batch_tokens) - batch.n_tokens());
      RF_TRY(batch.add({prompt.subspan(static_cast<size_t>(begin), static_cast<size_t>(n)), begin,
                        tables[static_cast<size_t>(s)], begin + n == t.n_prompt, t.n_prompt},
                       fo.block_size, fo.kv_blocks));
      begin += n;
      if (batch.n_tokens() == fo.max_batch_tokens) {
        RF_TRY(forward->run(batch));
        batch.clear();
      }
    }
  }
  if (batch.n_tokens() > 0) RF_TRY(forward->run(batch));

  std::vector<int32_t> beside(static_cast<size_t>(t.n_beside));
  for (int32_t& id : beside) id = pick(rng);
  const int32_t token = 1;
  auto step = [&](int32_t n_past) -> Status {
    batch.clear();
    for (int s = 0; s < t.n_seqs; ++s) {
      RF_TRY(batch.add({std::span<const int32_t>(&token, 1), n_past, tables[static_cast<size_t>(s)]}, fo.block_size,
                       fo.kv_blocks));
    }
    if (t.n_beside > 0) {  // after the generated rows, as model::Batch wants them
      RF_TRY(batch.add({beside, 0, tables.back(), true, t.n_beside}, fo.block_size, fo.kv_blocks));
    }
    RF_TRY(forward->run(batch));
    return ok();
  };
  for (int i = 0; i < kWarmup; ++i) RF_TRY(step(t.n_prompt + i));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < t.n_gen; ++i) RF_TRY(step(t.n_prompt + kWarmup + i));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(t.n_seqs) * t.n_gen / seconds;
}

}  // namespace rocmforge::cli
