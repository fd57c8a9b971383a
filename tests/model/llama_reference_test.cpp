// Small llama models against llama.cpp: the real Llama 2 vocabulary on a
// random-weight model, and one tiny model per weight type.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "greedy_runner.h"
#include "testing/test_paths.h"

namespace rocmforge::testing {
namespace {

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  }
  return rows;
}

std::vector<int32_t> tokens_of(const std::vector<GreedyStep>& steps) {
  std::vector<int32_t> ids;
  for (const GreedyStep& s : steps) ids.push_back(s.token);
  return ids;
}

// refs/llama-2-tiny-random.llamacpp.jsonl: tools/refs/make_refs.mjs, 64 steps, top-5 log-probs.
TEST(LlamaTinyRandomReference, GreedyTokensAndLogprobsMatchLlamaCpp) {
  auto runner =
      GreedyRunner::open(data_path("models/llama-2-tiny-random.gguf"), {gguf::GgmlType::kF16, gguf::GgmlType::kF16});
  ASSERT_TRUE(runner) << runner.error().to_string();
  const auto rows = read_jsonl(data_path("refs/llama-2-tiny-random.llamacpp.jsonl"));
  ASSERT_GE(rows.size(), 4u);
  for (const auto& r : rows) {
    SCOPED_TRACE(r["prompt"].get<std::string>());
    const auto prompt = (*runner)->encode(r["prompt"]);
    ASSERT_TRUE(prompt);
    ASSERT_EQ(*prompt, r["prompt_ids"].get<std::vector<int32_t>>());
    const auto greedy = r["greedy_ids"].get<std::vector<int32_t>>();
    const auto steps = (*runner)->generate(*prompt, static_cast<int>(greedy.size()));
    ASSERT_TRUE(steps) << steps.error().to_string();
    EXPECT_EQ(tokens_of(*steps), greedy);
    for (size_t i = 0; i < steps->size(); ++i) {
      for (const auto& e : r["top"][i]) {
        EXPECT_NEAR(logprob((*steps)[i].logits, e["id"]), e["logprob"].get<double>(), 1e-5) << "step " << i;
      }
    }
  }
}

// Tolerance on the first step's logits: F32/F16/BF16 weights agree to rounding;
// quantised weights multiply integer blocks, so only the order of float sums differs.
class QuantTinyReference : public ::testing::TestWithParam<std::string> {};

TEST_P(QuantTinyReference, GreedyTokensAndTopLogitsMatchLlamaCpp) {
  const std::string file = "tiny-" + GetParam() + ".gguf";
  nlohmann::json ref;
  for (const auto& row : read_jsonl(data_path("refs/quant-tiny.jsonl"))) {
    if (row["model"] == file) ref = row;
  }
  ASSERT_FALSE(ref.is_null()) << "no reference for " << file;
  auto runner = GreedyRunner::open(data_path("models/quant/" + file), {gguf::GgmlType::kF16, gguf::GgmlType::kF16});
  ASSERT_TRUE(runner) << runner.error().to_string();
  const auto prompt = (*runner)->encode(ref["prompt"]);
  ASSERT_TRUE(prompt);
  ASSERT_EQ(*prompt, ref["prompt_ids"].get<std::vector<int32_t>>());
  const auto greedy = ref["greedy_ids"].get<std::vector<int32_t>>();
  const auto steps = (*runner)->generate(*prompt, static_cast<int>(greedy.size()));
  ASSERT_TRUE(steps) << steps.error().to_string();
  EXPECT_EQ(tokens_of(*steps), greedy);
  const auto& first = steps->front().logits;
  for (const auto& e : ref["top10_step0"]) {
    const int32_t id = e["id"];
    EXPECT_NEAR(first[static_cast<size_t>(id)], e["logit"].get<double>(), 1e-4) << "token " << id;
    EXPECT_NEAR(logprob(first, id), e["logprob"].get<double>(), 1e-4) << "token " << id;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, QuantTinyReference,
                         ::testing::Values("f32", "f16", "bf16", "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k",
                                           "q4_k", "q5_k", "q6_k", "iq4_nl", "iq4_xs", "mix-q4_k_m"));

}  // namespace
}  // namespace rocmforge::testing
