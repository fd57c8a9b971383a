// Prompt and generated tokens in one step: model::Batch keeps generated
// tokens' rows first and never lets a chunk mix the two, and the forward
// pass hands a backend that computes prompt rows apart
// (Backend::matmul_prompt) exactly the prompt rows of each layer matmul.
#include <gtest/gtest.h>

#include <numeric>

#include "backend/cpu/cpu_backend.h"
#include "model/batch.h"
#include "model/forward.h"
#include "model/model.h"
#include "testing/test_paths.h"

namespace rocmforge::model {
namespace {

constexpr int64_t kBlock = 16;
constexpr int64_t kBlocks = 8;

std::vector<int32_t> table(int32_t first_block, int32_t n) {
  std::vector<int32_t> t(static_cast<size_t>(n));
  std::iota(t.begin(), t.end(), first_block);
  return t;
}

TEST(BatchRoles, CountsTheLeadingGeneratedRows) {
  const std::vector<int32_t> toks = {5, 6, 7, 8, 9};
  const std::vector<int32_t> t0 = table(0, 2);
  const std::vector<int32_t> t1 = table(2, 2);
  Batch b;
  // One generated token at position 20 of a 10-token prompt, then a prompt chunk of 4.
  ASSERT_TRUE(b.add({std::span(toks).first(1), 20, t0, true, 10}, kBlock, kBlocks));
  ASSERT_TRUE(b.add({std::span(toks).subspan(1, 4), 0, t1, true, 10}, kBlock, kBlocks));
  EXPECT_EQ(b.n_generated_rows(), 1);
  EXPECT_EQ(b.n_tokens(), 5);
  // Without a prompt end every token counts as generated, as before roles existed.
  b.clear();
  ASSERT_TRUE(b.add({std::span(toks).first(3), 0, t0}, kBlock, kBlocks));
  EXPECT_EQ(b.n_generated_rows(), 3);
}

TEST(BatchRoles, RefusesGeneratedRowsAfterPromptRowsAndMixedChunks) {
  const std::vector<int32_t> toks = {5, 6, 7, 8};
  const std::vector<int32_t> t0 = table(0, 2);
  const std::vector<int32_t> t1 = table(2, 2);
  Batch b;
  ASSERT_TRUE(b.add({std::span(toks).first(2), 0, t0, true, 10}, kBlock, kBlocks));
  const Status late = b.add({std::span(toks).first(1), 12, t1, true, 10}, kBlock, kBlocks);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code(), ErrorCode::kInternal);
  b.clear();
  const Status mixed = b.add({std::span(toks), 8, t0, true, 10}, kBlock, kBlocks);  // positions 8..11 around 10
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().to_string().find("prompt ends at 10"), std::string::npos) << mixed.error().to_string();
}

// A CPU backend that says prompt rows differ and records how many rows each
// matmul_prompt and matmul got; its batch-invariant kernels make each row's
// result independent of the split, so the logits must not change.
class SplittingBackend final : public backend::CpuBackend {
 public:
  SplittingBackend() : backend::CpuBackend(2, /*batch_invariant=*/true) {}
  bool prompt_rows_differ() const override { return true; }
  void matmul_prompt(const backend::Tensor& w, const backend::Tensor& x, const backend::Tensor& out) override {
    prompt_rows.push_back(x.rows);
    matmul(w, x, out);
  }
  std::vector<int64_t> prompt_rows;
};

TEST(ForwardRoles, LayerMatmulsSplitAtTheFirstPromptRow) {
  SplittingBackend split;
  backend::CpuBackend plain(2, /*batch_invariant=*/true);
  std::vector<float> logits[2];
  for (int side = 0; side < 2; ++side) {
    backend::Backend& be = side == 0 ? static_cast<backend::Backend&>(split) : plain;
    auto model = Model::load(testing::source_path("models/stories260K.gguf"), be);
    ASSERT_TRUE(model) << model.error().to_string();
    ForwardOptions fo;
    fo.max_seqs = 2;
    fo.max_seq_len = 64;
    fo.block_size = kBlock;
    fo.kv_blocks = kBlocks;
    auto forward = ForwardPass::create((*model)->config(), (*model)->weights(), be, fo);
    ASSERT_TRUE(forward) << forward.error().to_string();
    // Sequence 0: a 6-token prompt, computed alone, then its first generated
    // token beside sequence 1's 5-token prompt.
    const std::vector<int32_t> p0 = {1, 400, 300, 200, 100, 50};
    const std::vector<int32_t> p1 = {1, 20, 30, 40, 50};
    const std::vector<int32_t> next = {77};
    const std::vector<int32_t> t0 = table(0, 4);
    const std::vector<int32_t> t1 = table(4, 4);
    Batch b;
    ASSERT_TRUE(b.add({p0, 0, t0, false, 6}, kBlock, kBlocks));
    ASSERT_TRUE((*forward)->run(b));
    if (side == 0) split.prompt_rows.clear();  // the prompt-only step's calls
    b.clear();
    ASSERT_TRUE(b.add({next, 6, t0, true, 6}, kBlock, kBlocks));
    ASSERT_TRUE(b.add({p1, 0, t1, true, 5}, kBlock, kBlocks));
    EXPECT_EQ(b.n_generated_rows(), 1);
    auto out = (*forward)->run(b);
    ASSERT_TRUE(out) << out.error().to_string();
    logits[side].assign(out->begin(), out->end());
  }
  // Q, K, V, O, gate, up, down in every layer, each over the 5 prompt rows.
  const auto n_layer = static_cast<size_t>(7 * 5);  // stories260K has 5 layers
  ASSERT_EQ(split.prompt_rows.size(), n_layer);
  for (int64_t rows : split.prompt_rows) EXPECT_EQ(rows, 5);
  EXPECT_EQ(logits[0], logits[1]);
}

}  // namespace
}  // namespace rocmforge::model
