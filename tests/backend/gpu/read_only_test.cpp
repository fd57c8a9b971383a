// Backend::read_only_by on the GPU: the output of a norm or a gated
// activation that only matmuls read is written only as their converted
// input; the matmuls give the same bits as without the hint, and any other
// matmul over that output fails instead of reading what was never written.
#include <gtest/gtest.h>

#include <array>
#include <random>
#include <span>
#include <string>

#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

class ReadOnlyBy : public ::testing::Test {
 protected:
  void SetUp() override {
    gpu_ = make_gpu_backend();
    ASSERT_NE(gpu_, nullptr);
    h_ = std::make_unique<OpHarness>(*gpu_);
  }

  std::unique_ptr<backend::Backend> gpu_;
  std::unique_ptr<OpHarness> h_;
  std::mt19937 rng_{99};
};

// A residual add and RMS norm read by gate and up, their gated activation
// read by down: with the hints, and again without, on the same inputs.
TEST_F(ReadOnlyBy, ProductsAreTheSameAndTheF32OutputsUnwritten) {
  constexpr int64_t kCols = 512;
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kF16, GgmlType::kQ4_K}) {
    const int64_t ff = gguf::ggml_type_info(type).block_size == 256 ? 512 : 160;
    const Tensor w_norm = h_->f32(random_floats(rng_, kCols), 1, kCols);
    const Tensor wg = h_->weight(type, random_floats(rng_, static_cast<size_t>(ff * kCols)), ff, kCols, "gate");
    const Tensor wu = h_->weight(type, random_floats(rng_, static_cast<size_t>(ff * kCols)), ff, kCols, "up");
    const Tensor wd = h_->weight(type, random_floats(rng_, static_cast<size_t>(kCols * ff)), kCols, ff, "down");
    for (int64_t n : {1, 3, 20, 64, 512}) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " n=" + std::to_string(n));
      const auto x = random_floats(rng_, static_cast<size_t>(n * kCols), -2.0f, 2.0f);
      const auto r = random_floats(rng_, static_cast<size_t>(n * kCols));
      std::array<std::vector<float>, 5> got[2];  // normed, gate, up, activation, down
      for (int hinted = 0; hinted < 2; ++hinted) {
        backend::Backend& b = *gpu_;
        const Tensor tx = h_->f32(x, n, kCols);
        const Tensor tr = h_->f32(r, n, kCols);
        const Tensor xn = h_->poisoned(n, kCols);
        const Tensor gate = h_->poisoned(n, ff);
        const Tensor up = h_->poisoned(n, ff);
        const Tensor act = h_->poisoned(n, ff);
        const Tensor down = h_->poisoned(n, kCols);
        b.add(tx, tr, tx);
        b.rms_norm(tx, w_norm, 1e-5f, xn);
        if (hinted == 1) b.read_only_by(xn, std::array{wg, wu});
        b.matmul(wg, xn, gate);
        b.matmul(wu, xn, up);
        b.glu(backend::GluKind::kSilu, gate, up, act);
        if (hinted == 1) b.read_only_by(act, std::array{wd});
        b.matmul(wd, act, down);
        ASSERT_TRUE(b.synchronize());
        got[hinted] = {h_->read(xn), h_->read(gate), h_->read(up), h_->read(act), h_->read(down)};
      }
      expect_same_bits(got[1][1], got[0][1], "gate over the norm");
      expect_same_bits(got[1][2], got[0][2], "up over the norm");
      expect_same_bits(got[1][4], got[0][4], "down over the gated activation");
      // Q8_K copies are made from the F32 rows: those are written for them.
      const bool q8k_at_one = type == GgmlType::kQ4_K && n == 1;
      for (int i : {0, 3}) {
        const std::string what = i == 0 ? "the norm's F32 output" : "the gated activation's F32 output";
        if (q8k_at_one) {
          expect_same_bits(got[1][static_cast<size_t>(i)], got[0][static_cast<size_t>(i)], what);
        } else if (type != GgmlType::kQ4_K) {
          EXPECT_TRUE(all_nan(got[1][static_cast<size_t>(i)])) << what << " was written";
        }
        EXPECT_FALSE(all_nan(got[0][static_cast<size_t>(i)])) << what << " without the hint";
      }
    }
  }
}

// A matmul the hint did not name, over rows of the unwritten output, is an
// error reported by the next wait, not a product of stale memory.
TEST_F(ReadOnlyBy, AnotherReadOfTheUnwrittenOutputFails) {
  constexpr int64_t kCols = 256;
  constexpr int64_t kRows = 64;
  constexpr int64_t n = 3;
  const Tensor w = h_->weight(GgmlType::kQ4_0, random_floats(rng_, static_cast<size_t>(kRows * kCols)), kRows, kCols);
  const Tensor xn = h_->poisoned(n, kCols);
  const Tensor out = h_->poisoned(n, kRows);
  const Tensor x = h_->f32(random_floats(rng_, static_cast<size_t>(n * kCols)), n, kCols);
  gpu_->rms_norm(x, h_->f32(random_floats(rng_, kCols), 1, kCols), 1e-5f, xn);
  gpu_->read_only_by(xn, std::span<const Tensor>(&w, 1));
  gpu_->matmul(w, xn, out);
  gpu_->matmul(w, xn.slice_rows(1, 1), out.slice_rows(0, 1));
  const Status s = gpu_->synchronize();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
  EXPECT_NE(s.error().message().find("only another matmul's input"), std::string::npos) << s.error().to_string();
  EXPECT_TRUE(gpu_->synchronize());  // reported once; the backend stays usable
}

}  // namespace
}  // namespace rocmforge::testing
