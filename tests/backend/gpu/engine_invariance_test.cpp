// The engine on the GPU in batch-invariant mode (serve's): 32 requests at
// temperature 0 generate, together, what each generates alone, down to every
// logprob bit. Together their prompts are cut into other chunks and their
// decode rows share steps of other sizes, so every matmul and attention row
// must take the same kernel configuration in any step. Prompts of up to 400
// tokens give attention rows of one and two key splits.
#include <gtest/gtest.h>

#include <random>

#include "backend/gpu/gpu_backend.h"
#include "engine/engine.h"
#include "engine_fixture.h"
#include "model/model.h"
#include "model_file_builder.h"
#include "tokenizer/tokenizer.h"

namespace rocmforge::testing {
namespace {

using engine::testing::Collected;
using gguf::GgmlType;

constexpr int64_t kMaxTokens = 24;
constexpr int kRequests = 32;

struct InvarianceCase {
  GgmlType weights;
  GgmlType cache;
};

std::string case_name(const ::testing::TestParamInfo<InvarianceCase>& info) {
  return std::string(gguf::ggml_type_name(info.param.weights)) + "_cache_" +
         std::string(gguf::ggml_type_name(info.param.cache));
}

std::vector<float> logprobs_of(const Collected& c) {
  std::vector<float> out;
  for (const engine::Event& e : c.events) {
    if (e.token && e.token->logprob) out.push_back(*e.token->logprob);
  }
  return out;
}

class GpuBatchInvariance : public ::testing::TestWithParam<InvarianceCase> {};

TEST_P(GpuBatchInvariance, ConcurrentRequestsGenerateWhatEachGeneratesAlone) {
  const InvarianceCase& c = GetParam();
  const std::string path = write_synth_shape_model("tiny", c.weights, "gpu_invariance_" + case_name({c, 0}));

  backend::gpu::GpuOptions go;
  go.batch_invariant = true;
  auto gpu = backend::gpu::create_backend(go);
  ASSERT_TRUE(gpu) << gpu.error().to_string();
  auto model = model::Model::load(path, **gpu);
  ASSERT_TRUE(model) << model.error().to_string();
  auto tok = tokenizer::Tokenizer::from_gguf((*model)->file());
  ASSERT_TRUE(tok) << tok.error().to_string();

  engine::EngineOptions o;
  o.max_seqs = kRequests;
  o.max_batch_tokens = 128;  // prompts in chunks, cut elsewhere when requests share a step
  o.n_ctx = 512;
  o.n_kv_blocks = 1024;
  o.kv_types = {c.cache, c.cache};
  auto make_engine = [&] {
    auto e = engine::Engine::create(**model, **tok, **gpu, o);
    EXPECT_TRUE(e) << e.error().to_string();
    return e ? std::move(*e) : nullptr;
  };

  std::mt19937 rng(5);
  std::uniform_int_distribution<int32_t> pick(3, static_cast<int32_t>((*model)->config().n_vocab - 1));
  std::vector<engine::Request> requests;
  for (int i = 0; i < kRequests; ++i) {
    std::vector<int32_t> prompt(static_cast<size_t>(5 + (i * 37) % 396));
    for (int32_t& t : prompt) t = pick(rng);
    engine::Request r = engine::testing::greedy_request(std::move(prompt), kMaxTokens);
    r.logprobs = true;
    r.ignore_eos = true;
    requests.push_back(std::move(r));
  }

  std::vector<Collected> alone;
  {
    auto engine = make_engine();
    ASSERT_TRUE(engine);
    for (const engine::Request& r : requests) alone.push_back(engine::testing::collect(**engine->submit(r)));
  }
  auto engine = make_engine();
  ASSERT_TRUE(engine);
  std::vector<std::shared_ptr<engine::RequestHandle>> handles;
  for (const engine::Request& r : requests) handles.push_back(*engine->submit(r));
  int64_t n_logprobs = 0;
  int64_t n_different = 0;
  for (size_t i = 0; i < handles.size(); ++i) {
    const Collected together = engine::testing::collect(*handles[i]);
    EXPECT_EQ(together.tokens, alone[i].tokens) << "request " << i;
    ASSERT_EQ(together.tokens.size(), static_cast<size_t>(kMaxTokens)) << "request " << i;
    const std::vector<float> a = logprobs_of(alone[i]);
    const std::vector<float> b = logprobs_of(together);
    ASSERT_EQ(a.size(), b.size()) << "request " << i;
    for (size_t k = 0; k < a.size(); ++k) {
      ++n_logprobs;
      n_different += a[k] != b[k] ? 1 : 0;
    }
  }
  EXPECT_EQ(n_different, 0) << "of " << n_logprobs << " logprobs";
  EXPECT_EQ(n_logprobs, kRequests * kMaxTokens);
}

// Q4_0: generated rows through the GEMM on F16 activations, prompt rows
// through the BLAS on the F16 copies (kAuto makes them for this small model);
// F16: the F16 GEMM kernel (not the BLAS); Q4_K with a Q8_0 cache: generated
// rows through the BLAS on the copies, the per-key attention kernel.
INSTANTIATE_TEST_SUITE_P(Types, GpuBatchInvariance,
                         ::testing::Values(InvarianceCase{GgmlType::kQ4_0, GgmlType::kF16},
                                           InvarianceCase{GgmlType::kF16, GgmlType::kF16},
                                           InvarianceCase{GgmlType::kQ4_K, GgmlType::kQ8_0}),
                         case_name);

}  // namespace
}  // namespace rocmforge::testing
