// Every GPU op except matmul and attention (matmul_test.cpp,
// attention_test.cpp) against the CPU backend on random data, with outputs
// poisoned with NaN beforehand so an unwritten element fails the comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>

#include "backend/cpu/cpu_backend.h"
#include "op_harness.h"

namespace rocmforge::testing {
namespace {

using backend::Tensor;
using gguf::GgmlType;

// The argmax op (greedy sampling on the device): each row's id.
std::vector<int32_t> argmax(OpHarness& h, const std::vector<float>& values, int64_t rows, int64_t cols,
                            int64_t stride) {
  const Tensor x = h.f32(values, rows, cols, stride);
  int32_t* ids = h.ints(std::vector<int32_t>(static_cast<size_t>(rows), -1));
  h.backend().argmax(x, ids);
  return h.read_ints(ids, static_cast<size_t>(rows));
}

class GpuOps : public ::testing::Test {
 protected:
  void SetUp() override {
    gpu_ = make_gpu_backend();
    ASSERT_NE(gpu_, nullptr);
    hg_ = std::make_unique<OpHarness>(*gpu_);
  }
  OpHarness& side(int i) { return i == 0 ? hc_ : *hg_; }
  // The GPU's argmax of `rows` rows of `cols` from `values`, `stride` floats
  // apart (0: cols), is the CPU's.
  void expect_same_argmax(const std::vector<float>& values, int64_t rows, int64_t cols, int64_t stride,
                          const std::string& what) {
    EXPECT_EQ(argmax(*hg_, values, rows, cols, stride), argmax(hc_, values, rows, cols, stride)) << what;
  }

  backend::CpuBackend cpu_{2};
  OpHarness hc_{cpu_};
  std::unique_ptr<backend::Backend> gpu_;
  std::unique_ptr<OpHarness> hg_;
  std::mt19937 rng_{1234};
};

TEST_F(GpuOps, EmbedEveryType) {
  constexpr int64_t kRows = 50;
  constexpr int64_t kCols = 512;  // two 256-element blocks
  const auto table = random_floats(rng_, kRows * kCols);
  const std::vector<int32_t> ids = {7, 0, 49, 7, 13};
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ4_1,
                        GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kIQ4_NL, GgmlType::kQ2_K,
                        GgmlType::kQ3_K, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K, GgmlType::kIQ4_XS}) {
    std::vector<float> got[2];
    for (int s = 0; s < 2; ++s) {
      const Tensor out = side(s).poisoned(5, kCols);
      side(s).backend().embed(side(s).weight(type, table, kRows, kCols), side(s).ints(ids), 5, out);
      got[s] = side(s).read(out);
    }
    EXPECT_EQ(got[1], got[0]) << gguf::ggml_type_name(type);  // dequantisation is exact
  }
}

// Widths of whole float4 (the vector kernel, 12288 past what it holds in
// registers) and not (170).
TEST_F(GpuOps, RmsNormInPlaceAndStrided) {
  for (int64_t cols : {64, 170, 172, 4096, 12288}) {
    const auto x = random_floats(rng_, static_cast<size_t>(3 * cols), -3.0f, 3.0f);
    const auto w = random_floats(rng_, static_cast<size_t>(cols));
    std::vector<float> got[2];
    std::vector<float> in_place[2];
    for (int s = 0; s < 2; ++s) {
      OpHarness& h = side(s);
      const Tensor weight = h.f32(w, 1, cols);
      const Tensor src = h.f32(x, 3, cols, cols + 8);
      const Tensor out = h.poisoned(3, cols);
      h.backend().rms_norm(src, weight, 1e-5f, out);
      got[s] = h.read(out);
      h.backend().rms_norm(src, weight, 1e-5f, src);
      in_place[s] = h.read(src);
    }
    expect_close(got[1], got[0], 1e-6, "rms_norm");
    expect_close(in_place[1], in_place[0], 1e-6, "rms_norm in place");
  }
}

TEST_F(GpuOps, AddScaleSoftcapAndBias) {
  constexpr int64_t kRows = 4;
  constexpr int64_t kCols = 300;
  const auto a = random_floats(rng_, kRows * kCols, -40.0f, 40.0f);
  const auto b = random_floats(rng_, kRows * kCols);
  const auto bias = random_floats(rng_, kCols);
  std::vector<float> got[2][4];
  for (int s = 0; s < 2; ++s) {
    OpHarness& h = side(s);
    backend::Backend& be = h.backend();
    const Tensor ta = h.f32(a, kRows, kCols);
    const Tensor sum = h.poisoned(kRows, kCols);
    be.add(ta, h.f32(b, kRows, kCols), sum);
    got[s][0] = h.read(sum);
    be.add(sum, h.f32(bias, 1, kCols), sum);  // one row broadcast over all
    got[s][1] = h.read(sum);
    be.scale(sum, 0.37f);
    got[s][2] = h.read(sum);
    be.softcap(ta, 30.0f);
    got[s][3] = h.read(ta);
  }
  EXPECT_EQ(got[1][0], got[0][0]);
  EXPECT_EQ(got[1][1], got[0][1]);
  EXPECT_EQ(got[1][2], got[0][2]);
  expect_close(got[1][3], got[0][3], 1e-6, "softcap");
}

// 1000 columns take the four-element GLU kernel, 998 the one-element one.
class GpuOpsWidths : public GpuOps, public ::testing::WithParamInterface<int64_t> {};

TEST_P(GpuOpsWidths, GatedActivationsAndSigmoidGate) {
  constexpr int64_t kRows = 3;
  const int64_t cols = GetParam();
  const auto g = random_floats(rng_, kRows * cols, -12.0f, 12.0f);
  const auto u = random_floats(rng_, kRows * cols);
  const auto gate = random_floats(rng_, kRows, -4.0f, 4.0f);
  std::vector<float> got[2][3];
  for (int s = 0; s < 2; ++s) {
    OpHarness& h = side(s);
    const Tensor tg = h.f32(g, kRows, cols);
    const Tensor tu = h.f32(u, kRows, cols);
    const Tensor silu = h.poisoned(kRows, cols);
    const Tensor gelu = h.poisoned(kRows, cols);
    h.backend().glu(backend::GluKind::kSilu, tg, tu, silu);
    h.backend().glu(backend::GluKind::kGelu, tg, tu, gelu);
    got[s][0] = h.read(silu);
    got[s][1] = h.read(gelu);
    h.backend().mul_sigmoid(tu, h.f32(gate, kRows, 1));
    got[s][2] = h.read(tu);
  }
  expect_close(got[1][0], got[0][0], 1e-6, "silu");
  expect_close(got[1][1], got[0][1], 1e-3, "gelu (F16 table)");
  expect_close(got[1][2], got[0][2], 1e-6, "mul_sigmoid");
}

INSTANTIATE_TEST_SUITE_P(Widths, GpuOpsWidths, ::testing::Values(int64_t{1000}, int64_t{998}));

TEST_F(GpuOps, RopeStylesScalingAndFactors) {
  constexpr int64_t kTokens = 6;
  const std::vector<int32_t> positions = {0, 1, 17, 255, 1000, 5000};
  struct Case {
    int64_t heads, head_dim, n_rot;
    bool neox;
    float ext_factor;
    bool factors;
  };
  for (const Case& c : {Case{4, 64, 64, false, 0.0f, false}, Case{2, 128, 128, true, 0.0f, true},
                        Case{3, 64, 32, true, 1.0f, false}, Case{8, 8, 8, false, 0.0f, false}}) {
    backend::RopeParams p;
    p.n_heads = c.heads;
    p.head_dim = c.head_dim;
    p.n_rot = c.n_rot;
    p.neox = c.neox;
    p.freq_base = 500000.0f;
    p.freq_scale = c.ext_factor != 0.0f ? 0.25f : 1.0f;
    p.n_ctx_orig = 4096;
    p.ext_factor = c.ext_factor;
    const auto x = random_floats(rng_, static_cast<size_t>(kTokens * c.heads * c.head_dim));
    const auto ff = random_floats(rng_, static_cast<size_t>(c.n_rot / 2), 1.0f, 8.0f);
    std::vector<float> got[2];
    for (int s = 0; s < 2; ++s) {
      OpHarness& h = side(s);
      const Tensor t = h.f32(x, kTokens, c.heads * c.head_dim, c.heads * c.head_dim + 4);
      p.freq_factors = c.factors ? h.f32(ff, 1, c.n_rot / 2).row<const float>(0) : nullptr;
      h.backend().rope(t, h.ints(positions), p);
      got[s] = h.read(t);
    }
    expect_close(got[1], got[0], 2e-6, "rope dim " + std::to_string(c.head_dim));
  }
}

// A layer's RoPE of Q and then of K (same positions and rotation) runs as one
// launch on the GPU; both results must still be the CPU's.
TEST_F(GpuOps, RopeOfQAndKTogether) {
  constexpr int64_t kTokens = 5;
  constexpr int64_t kHeadDim = 128;
  const std::vector<int32_t> positions = {3, 4, 5, 900, 70000};
  const auto q = random_floats(rng_, static_cast<size_t>(kTokens * 32 * kHeadDim));
  const auto k = random_floats(rng_, static_cast<size_t>(kTokens * 8 * kHeadDim));
  backend::RopeParams p = llama3_rope(side(0), kHeadDim, kHeadDim, /*neox=*/true);  // no factors: no memory
  std::vector<float> got[2][2];
  for (int s = 0; s < 2; ++s) {
    OpHarness& h = side(s);
    const Tensor tq = h.f32(q, kTokens, 32 * kHeadDim);
    const Tensor tk = h.f32(k, kTokens, 8 * kHeadDim, 8 * kHeadDim + 32);
    const int32_t* pos = h.ints(positions);
    p.n_heads = 32;
    h.backend().rope(tq, pos, p);
    p.n_heads = 8;
    h.backend().rope(tk, pos, p);
    got[s][0] = h.read(tq);
    got[s][1] = h.read(tk);
  }
  expect_close(got[1][0], got[0][0], 2e-6, "rope of q");
  expect_close(got[1][1], got[0][1], 2e-6, "rope of k");
}

TEST_F(GpuOps, StoreKvCopyBlocksAndGather) {
  for (GgmlType kv_type : {GgmlType::kF16, GgmlType::kF32, GgmlType::kQ8_0}) {
    backend::KvLayout layout{1, 2, 64, 32, 16, 8, {kv_type, kv_type}};
    const size_t k_bytes = static_cast<size_t>(layout.slots()) * layout.k_row_bytes();
    const size_t v_bytes = static_cast<size_t>(layout.slots()) * layout.v_row_bytes();
    const std::vector<int32_t> slots = {5, 16, 17, 127};
    const auto k = random_floats(rng_, 4 * 128);
    const auto v = random_floats(rng_, 4 * 64);
    const std::vector<backend::BlockCopy> copies = {{1, 3}, {0, 6}, {3, 7}};
    std::vector<std::byte> caches[2];
    std::vector<float> gathered[2];
    for (int s = 0; s < 2; ++s) {
      OpHarness& h = side(s);
      backend::KvLayerView kv{h.bytes(k_bytes), h.bytes(v_bytes)};
      backend::BatchView batch;
      batch.slots = h.ints(slots);
      batch.n_tokens = 4;
      const Tensor tk = h.f32(k, 4, 128);
      h.backend().store_kv(kv, layout, tk, h.f32(v, 4, 64), batch);
      h.backend().copy_blocks(kv, layout, copies);
      caches[s] = h.read_bytes(kv.k, k_bytes);
      const auto vb = h.read_bytes(kv.v, v_bytes);
      caches[s].insert(caches[s].end(), vb.begin(), vb.end());
      const Tensor out = h.poisoned(3, 128);
      h.backend().gather_rows(tk, h.ints({3, 0, 3}), 3, out);
      gathered[s] = h.read(out);
    }
    EXPECT_TRUE(caches[1] == caches[0]) << "KV cache bytes differ (" << gguf::ggml_type_name(kv_type) << ")";
    EXPECT_EQ(gathered[1], gathered[0]);
  }
}

TEST_F(GpuOps, MoeRouteAndCombine) {
  constexpr int64_t kTokens = 5;
  constexpr int64_t kExperts = 8;
  constexpr int64_t kUsed = 3;
  constexpr int64_t kCols = 96;
  const auto logits = random_floats(rng_, kTokens * kExperts, -3.0f, 3.0f);
  const auto expert_out = random_floats(rng_, kTokens * kUsed * kCols);
  for (bool normalize : {false, true}) {
    const backend::MoeRouting routing{kExperts, kUsed, normalize, normalize ? 2.5f : 0.0f};
    std::vector<int32_t> ids[2];
    std::vector<float> weights[2];
    std::vector<float> combined[2];
    for (int s = 0; s < 2; ++s) {
      OpHarness& h = side(s);
      auto* id_buf = static_cast<int32_t*>(h.bytes(kTokens * kUsed * sizeof(int32_t)));
      const Tensor w = h.poisoned(kTokens, kUsed);
      h.backend().moe_route(h.f32(logits, kTokens, kExperts), routing, id_buf, w);
      ids[s] = h.read_ints(id_buf, kTokens * kUsed);
      weights[s] = h.read(w);
      const Tensor out = h.poisoned(kTokens, kCols);
      h.backend().moe_combine(h.f32(expert_out, kTokens * kUsed, kCols), w, kUsed, out);
      combined[s] = h.read(out);
    }
    EXPECT_EQ(ids[1], ids[0]);
    expect_close(weights[1], weights[0], 1e-6, "routing weights");
    expect_close(combined[1], combined[0], 1e-6, "combined experts");
  }
}

// The sequences the GPU fuses (residual add then RMS norm of the sum, then a
// matmul over the norm; gated activation then a matmul over it) give what
// the separate ops give on the CPU, for every intermediate tensor.
// 9216 columns: rows past what the norm holds in registers.
TEST_F(GpuOps, FusedResidualNormGluAndMatmul) {
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ4_1, GgmlType::kQ8_0, GgmlType::kF16, GgmlType::kBF16,
                        GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    // Q8_K copies go 256 at a time: two blocks' worth of gated activations.
    const int64_t ff = gguf::ggml_type_info(type).block_size == 256 ? 512 : 96;
    for (auto [n, kCols] : {std::pair<int64_t, int64_t>{1, 256}, {3, 256}, {20, 256}, {1, 9216}, {3, 9216}}) {
      SCOPED_TRACE(std::string(gguf::ggml_type_name(type)) + " n=" + std::to_string(n) +
                   " cols=" + std::to_string(kCols));
      const auto x = random_floats(rng_, static_cast<size_t>(n * kCols), -2.0f, 2.0f);
      const auto r = random_floats(rng_, static_cast<size_t>(n * kCols));
      const auto w_norm = random_floats(rng_, kCols);
      const auto w_up = random_floats(rng_, static_cast<size_t>(ff * kCols));
      const auto w_down = random_floats(rng_, static_cast<size_t>(kCols * ff));
      std::vector<float> got[2][4];
      for (int s = 0; s < 2; ++s) {
        OpHarness& h = side(s);
        backend::Backend& b = h.backend();
        const Tensor tx = h.f32(x, n, kCols);
        const Tensor txn = h.f32(r, n, kCols);
        const Tensor gate = h.poisoned(n, ff);
        const Tensor up = h.poisoned(n, ff);
        const Tensor wu = h.weight(type, w_up, ff, kCols);
        b.add(tx, txn, tx);
        b.rms_norm(tx, h.f32(w_norm, 1, kCols), 1e-5f, txn);
        b.matmul(wu, txn, gate);
        b.matmul(wu, txn, up);
        b.glu(backend::GluKind::kSilu, gate, up, gate);
        b.matmul(h.weight(type, w_down, kCols, ff), gate, txn);
        got[s][0] = h.read(tx);
        got[s][1] = h.read(up);
        got[s][2] = h.read(gate);
        got[s][3] = h.read(txn);
      }
      expect_close(got[1][0], got[0][0], 1e-6, "residual sum");
      const bool f16_activations = default_mode_f16_activations(type, n);
      expect_close(got[1][1], got[0][1], f16_activations ? 1e-2 : 1e-4, "matmul over the norm");
      expect_close(got[1][2], got[0][2], f16_activations ? 1e-2 : 1e-4, "gated activation");
      // Two products on F16 activations in a row: twice their error.
      expect_close(got[1][3], got[0][3], f16_activations ? 2e-2 : 2e-3, "matmul over the gated activation");
    }
  }
}

constexpr int64_t kLlama3Vocab = 128256;
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The argmax against the CPU's: random rows of Llama 3's 128256 logits; rows
// of few distinct values, so the maximum is tied across threads and warps;
// masked (-inf), NaN and signed-zero rows; widths and strides that take the
// one-float kernel.
TEST_F(GpuOps, ArgmaxOfRandomRowsOfLlama3Logits) {
  constexpr int64_t kRows = 8;
  std::vector<float> v = random_floats(rng_, kRows * kLlama3Vocab, -20.0f, 20.0f);
  v[0] = 30.0f;                                    // row 0: the first column
  v[2 * kLlama3Vocab - 1] = 30.0f;                 // row 1: the last
  v[2 * kLlama3Vocab + kLlama3Vocab / 2] = 30.0f;  // row 2: the middle
  expect_same_argmax(v, kRows, kLlama3Vocab, 0, "random rows");
}

// Values from a small set: the maximum occurs thousands of times a row.
// Then two maxima only: in one float4, in one thread's loads (a block of
// float4 apart), in two warps, and far apart.
TEST_F(GpuOps, ArgmaxTiesGoToTheLowestColumn) {
  constexpr int64_t kRows = 4;
  std::uniform_int_distribution<int> level(-2, 2);
  std::vector<float> v(static_cast<size_t>(kRows * kLlama3Vocab));
  for (float& x : v) x = static_cast<float>(level(rng_)) * 0.5f;
  expect_same_argmax(v, kRows, kLlama3Vocab, 0, "many ties");

  std::fill(v.begin(), v.end(), -1.0f);
  const std::pair<int64_t, int64_t> pairs[kRows] = {{901, 902}, {77, 77 + 4 * 1024}, {40, 700}, {5, 100000}};
  for (int64_t r = 0; r < kRows; ++r) {
    v[static_cast<size_t>(r * kLlama3Vocab + pairs[r].second)] = 3.0f;  // the higher column first
    v[static_cast<size_t>(r * kLlama3Vocab + pairs[r].first)] = 3.0f;
  }
  EXPECT_EQ(argmax(*hg_, v, kRows, kLlama3Vocab, 0), (std::vector<int32_t>{901, 77, 40, 5}));
  expect_same_argmax(v, kRows, kLlama3Vocab, 0, "two maxima");
}

// NaN ranks as -inf; a row of -inf or NaN picks column 0; -0 and +0 tie. At 4099 columns (one float at a time)
// and 4100 (float4).
TEST_F(GpuOps, ArgmaxOfMaskedNaNAndSignedZeroRows) {
  for (int64_t cols : {4099, 4100}) {
    const std::vector<float> v =
        rows_of(cols, {
                          [](int64_t) { return -kInf; },
                          [](int64_t) { return kNaN; },
                          [](int64_t i) { return i == 0 ? kNaN : -kInf; },
                          [](int64_t i) { return i % 3 == 0 ? kNaN : -static_cast<float>(i); },
                          [](int64_t i) { return i % 2 == 0 ? kNaN : (i == 3001 ? kInf : 1.0f); },
                          [](int64_t i) { return i < 2000 ? -1.0f : (i % 2 == 0 ? 0.0f : -0.0f); },
                          [](int64_t i) { return i < 2001 ? -1.0f : (i % 2 == 0 ? 0.0f : -0.0f); },
                      });
    constexpr int64_t kRows = 7;
    expect_same_argmax(v, kRows, cols, 0, std::to_string(cols) + " columns");
    EXPECT_EQ(argmax(*hg_, v, kRows, cols, 0),
              (std::vector<int32_t>{0, 0, 0, 1, 3001, 2000, 2001}))
        << cols << " columns";
  }
}

// Widths around multiples of 4 and of the block; strides that misalign rows.
TEST_F(GpuOps, ArgmaxOverWidthsAndStrides) {
  constexpr int64_t kWidths[] = {1, 3, 4, 1023, 1025, 4097, kLlama3Vocab + 1};
  for (int64_t cols : kWidths) {
    for (int64_t pad : {0, 1, 4}) {
      constexpr int64_t kRows = 3;
      const std::vector<float> v = random_floats(rng_, static_cast<size_t>(kRows * cols), -5.0f, 5.0f);
      expect_same_argmax(v, kRows, cols, cols + pad,
                         std::to_string(cols) + " columns, " + std::to_string(pad) + " floats of padding");
    }
  }
}

// Bad input found on the device is reported by the next wait, not dropped.
TEST_F(GpuOps, KernelFoundBadInputIsReported) {
  const auto table = random_floats(rng_, 10 * 32);
  const Tensor out = hg_->poisoned(2, 32);
  gpu_->embed(hg_->weight(GgmlType::kF32, table, 10, 32), hg_->ints({3, 10}), 2, out);
  const Status s = gpu_->synchronize();
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message().find("embedding table"), std::string::npos) << s.error().to_string();
  EXPECT_TRUE(gpu_->synchronize());  // reported once; the backend stays usable
}

// An upload outside every allocation is refused with a clear error.
TEST_F(GpuOps, CopiesAreBoundsChecked) {
  auto* p = static_cast<std::byte*>(hg_->bytes(64));
  const std::vector<std::byte> data(65);
  gpu_->upload(p, data.data(), 65);
  const Status s = gpu_->synchronize();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kInternal);
  std::vector<std::byte> back(64);
  EXPECT_FALSE(gpu_->download(back.data(), p + 8, 64));
  EXPECT_TRUE(gpu_->download(back.data(), p, 64));
}

}  // namespace
}  // namespace rocmforge::testing
