// The block-table rows a step of a few sequences hands the ops
// (table_blocks): a few lengths, powers of two from kMinTableKeys' worth up
// to the context's, so that decode steps replay a few recorded shapes and
// attention splits the keys a step may have. Attention reads the same keys whatever the rows' length:
// a sequence's logits do not depend on the context it was sized for.
#include <gtest/gtest.h>

#include <numeric>

#include "backend/cpu/cpu_backend.h"
#include "model/batch.h"
#include "model/forward.h"
#include "model/model.h"
#include "testing/test_paths.h"

namespace rocmforge::model {
namespace {

TEST(TableBlocks, PowersOfTwoFromTheMinimumUpToTheContext) {
  // 16-key blocks: at least 16 of them (256 keys).
  EXPECT_EQ(table_blocks(1, 1, 256, 16), 16);
  EXPECT_EQ(table_blocks(16, 1, 256, 16), 16);
  EXPECT_EQ(table_blocks(17, 1, 256, 16), 32);
  EXPECT_EQ(table_blocks(64, 1, 256, 16), 64);
  EXPECT_EQ(table_blocks(65, 1, 256, 16), 128);
  EXPECT_EQ(table_blocks(129, 1, 256, 16), 256);
  EXPECT_EQ(table_blocks(256, 1, 256, 16), 256);
  // Contexts below the minimum or not a power of two of blocks.
  EXPECT_EQ(table_blocks(3, 1, 8, 16), 8);
  EXPECT_EQ(table_blocks(100, 1, 200, 16), 128);
  EXPECT_EQ(table_blocks(150, 1, 200, 16), 200);
  // 256-key blocks: the minimum is still 256 keys.
  EXPECT_EQ(table_blocks(1, 1, 1000, 256), 1);
  EXPECT_EQ(table_blocks(5, 1, 1000, 256), 8);
  // Up to kBucketedSeqs sequences share the lengths; more keep the context's.
  EXPECT_EQ(table_blocks(3, kBucketedSeqs, 256, 16), 16);
  EXPECT_EQ(table_blocks(3, kBucketedSeqs + 1, 256, 16), 256);
}

// A CPU backend that records the row length of the block tables attention
// gets, and the shape of each step.
class RecordingBackend final : public backend::CpuBackend {
 public:
  RecordingBackend() : backend::CpuBackend(2) {}
  void attention(const backend::Tensor& q, const backend::KvLayerView& kv, const backend::KvLayout& layout,
                 const backend::BatchView& batch, const backend::AttentionParams& params,
                 const backend::Tensor& out) override {
    row_blocks.push_back(batch.max_blocks);
    backend::CpuBackend::attention(q, kv, layout, batch, params, out);
  }
  Status run_step(uint64_t shape, const std::function<void()>& queue_ops) override {
    shapes.push_back(shape);
    return backend::CpuBackend::run_step(shape, queue_ops);
  }
  std::vector<int32_t> row_blocks;
  std::vector<uint64_t> shapes;
};

TEST(TableBlocks, DecodeStepsTakeTheirBucketAndLogitsDoNotDependOnTheContext) {
  constexpr int64_t kBlock = 16;
  constexpr int32_t kPrompt = 1000;  // the decode steps cross 1,024 keys
  constexpr int kSteps = 40;
  constexpr int64_t kContexts[2] = {1536, 4096};  // 96 and 256 blocks a sequence
  std::vector<int32_t> tokens(kPrompt + kSteps);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = static_cast<int32_t>(3 + (i * 7) % 500);
  std::vector<float> logits[2];
  for (int side = 0; side < 2; ++side) {
    RecordingBackend be;
    auto model = Model::load(testing::source_path("models/stories260K.gguf"), be);
    ASSERT_TRUE(model) << model.error().to_string();
    ForwardOptions fo;
    fo.max_seqs = 1;
    fo.max_seq_len = kContexts[side];
    fo.block_size = kBlock;
    auto forward = ForwardPass::create((*model)->config(), (*model)->weights(), be, fo);
    ASSERT_TRUE(forward) << forward.error().to_string();
    const int64_t n_blocks = (*forward)->kv_layout().n_blocks;
    std::vector<int32_t> table(static_cast<size_t>(n_blocks));
    std::iota(table.begin(), table.end(), 0);
    const std::span<const int32_t> all(tokens);
    Batch b;
    for (int32_t pos = 0; pos < kPrompt; pos += 500) {
      b.clear();
      ASSERT_TRUE(b.add({all.subspan(static_cast<size_t>(pos), 500), pos, table, false, kPrompt}, kBlock, n_blocks));
      ASSERT_TRUE((*forward)->run(b));
    }
    be.row_blocks.clear();
    be.shapes.clear();
    for (int32_t pos = kPrompt; pos < kPrompt + kSteps; ++pos) {
      b.clear();
      ASSERT_TRUE(b.add({all.subspan(static_cast<size_t>(pos), 1), pos, table, true, kPrompt}, kBlock, n_blocks));
      auto out = (*forward)->run(b);
      ASSERT_TRUE(out) << out.error().to_string();
      logits[side].insert(logits[side].end(), out->begin(), out->end());
    }
    // Up to position 1,023 (1,024 keys, 64 blocks) a power of two; from 1,024 on
    // the next power of two, 128 blocks, or the 96 a 1,536-key context has.
    // Steps of one length replay one shape; the first past 1,024 keys starts another.
    const auto n_layer = static_cast<size_t>((*model)->config().n_layer);
    ASSERT_EQ(be.row_blocks.size(), kSteps * n_layer);
    ASSERT_EQ(be.shapes.size(), static_cast<size_t>(kSteps));
    const size_t first = 1024 - kPrompt;
    for (size_t step = 0; step < kSteps; ++step) {
      const int32_t want = step < first ? 64 : (side == 0 ? 96 : 128);
      EXPECT_EQ(be.row_blocks[step * n_layer], want) << "step " << step << ", context " << kContexts[side];
      if (step == first) {
        EXPECT_NE(be.shapes[step], be.shapes[step - 1]) << "step " << step;
      } else if (step > 0) {
        EXPECT_EQ(be.shapes[step], be.shapes[step - 1]) << "step " << step;
      }
    }
  }
  EXPECT_EQ(logits[0], logits[1]);
}

}  // namespace
}  // namespace rocmforge::model
