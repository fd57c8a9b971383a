// Every architecture against llama.cpp: `rocmforge synth` writes a small
// random-weight model of the shape (the same bytes each time), and our greedy
// tokens and log-probabilities must equal llama.cpp's on it
// (tests/data/refs/arch, made by tools/refs/make_arch_refs.sh).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/thread_pool.h"
#include "greedy_runner.h"
#include "model/synth.h"
#include "testing/test_paths.h"

namespace rocmforge::testing {
namespace {

struct Case {
  const char* shape;
  const char* type;
  const char* vocab;  // a tests/data/vocab file's name part, or null for synth's own vocabulary
  // Our CPU kernels reproduce llama.cpp's arithmetic, so log-probabilities
  // agree to float rounding; where a difference remains it is stated here.
  double tolerance;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string name = std::string(info.param.shape) + "_" + info.param.type;
  if (info.param.vocab != nullptr) name += std::string("_") + info.param.vocab + "_vocab";
  for (char& c : name) {
    if (c == '-') c = '_';
  }
  return name;
}

class ArchReference : public ::testing::TestWithParam<Case> {};

TEST_P(ArchReference, GreedyTokensAndLogprobsMatchLlamaCpp) {
  const Case& c = GetParam();
  std::string stem = std::string(c.shape) + "-" + c.type;
  if (c.vocab != nullptr) stem += std::string("-") + c.vocab;
  std::ifstream in(data_path("refs/arch/" + stem + ".json"));
  ASSERT_TRUE(in) << "no reference for " << stem;
  const nlohmann::json ref = nlohmann::json::parse(in);

  model::SynthOptions options;
  options.shape = *model::find_synth_shape(c.shape);
  options.type = *gguf::parse_ggml_type(c.type);
  if (c.vocab != nullptr) options.vocab_path = data_path(std::string("vocab/ggml-vocab-") + c.vocab + ".gguf");
  const std::string path = (std::filesystem::temp_directory_path() / ("rocmforge_arch_" + stem + ".gguf")).string();
  core::ThreadPool pool(2);
  const Status written = model::write_synth_model(path, options, pool);
  ASSERT_TRUE(written) << written.error().to_string();

  // The references ran with a 2048-token context (which picks LongRoPE's long factors).
  auto runner = GreedyRunner::open(path, {gguf::GgmlType::kF16, gguf::GgmlType::kF16}, 1, 2048);
  ASSERT_TRUE(runner) << runner.error().to_string();
  const auto prompt = (*runner)->encode(ref["prompt"]);
  ASSERT_TRUE(prompt);
  ASSERT_EQ(*prompt, ref["prompt_ids"].get<std::vector<int32_t>>());
  const auto greedy = ref["greedy_ids"].get<std::vector<int32_t>>();
  const auto steps = (*runner)->generate(*prompt, static_cast<int>(greedy.size()));
  ASSERT_TRUE(steps) << steps.error().to_string();
  std::vector<int32_t> ids;
  for (const GreedyStep& s : *steps) ids.push_back(s.token);
  EXPECT_EQ(ids, greedy);
  double worst = 0.0;
  for (size_t i = 0; i < steps->size() && i < ref["top"].size(); ++i) {
    for (const auto& e : ref["top"][i]) {
      worst = std::max(worst, std::abs(logprob((*steps)[i].logits, e["id"]) - e["logprob"].get<double>()));
    }
  }
  EXPECT_LT(worst, c.tolerance) << "largest log-probability difference " << worst;
  std::filesystem::remove(path);
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const char* shape : {"tiny", "tiny-mixtral", "tiny-qwen2", "tiny-qwen3", "tiny-qwen2moe", "tiny-qwen3moe",
                            "tiny-gemma2", "tiny-gemma3", "tiny-phi3", "tiny-glm4"}) {
    for (const char* type : {"q8_0", "q4_k", "q6_k"}) cases.push_back({shape, type, nullptr, 1e-4});
  }
  for (const char* shape : {"tiny-rope-linear", "tiny-rope-llama3", "tiny-rope-yarn", "tiny-rope-longrope"}) {
    cases.push_back({shape, "q8_0", nullptr, 1e-4});
  }
  // Real vocabularies, so that tokenization is part of the comparison.
  cases.push_back({"tiny-qwen2", "q8_0", "gpt-2", 1e-4});
  cases.push_back({"tiny-gemma3", "q8_0", "llama-spm", 1e-4});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Shapes, ArchReference, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace rocmforge::testing
