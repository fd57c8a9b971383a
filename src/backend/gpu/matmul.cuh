// out[t, o] = sum_k x[t, k] * w[o, k] for a weight of any supported type.
//
// Two paths: a matrix-vector kernel for up to kMatvecMaxTokens rows of
// activations (decode: each weight byte is read once per step, with int8
// dot products on quantised weights, as llama.cpp's MMVQ), and a tiled GEMM
// for more (prefill: tensor cores on CUDA). Both read the activations the
// CPU backend would: 8-bit quants for quantised weights, F16/BF16 for
// F16/BF16 weights, F32 for F32 weights.
#pragma once

#include <cstdint>
#include <span>

#include "backend/gpu/act_quant.cuh"
#include "backend/gpu/compat.cuh"
#include "backend/gpu/gemm_a16_policy.h"
#include "backend/gpu/weight_layout.h"
#include "backend/rope_yarn.h"
#include "gguf/ggml_type.h"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

inline constexpr int64_t kMatvecMaxTokens = 8;
// From how many tokens a GEMM on tensor cores beats the matrix-vector kernel:
// 3 for F16/BF16 weights; past kQuantMatvecMaxTokens for quantised ones,
// whose matvec takes up to 4 tokens in one pass. On the H200
// (bench/RESULTS-gpu-runs-69-86.md, run 83), llama3-8b decoding 3 / 4 sequences
// on the matvec instead of a GEMM:
// Q4_0 808 / 1,060 -> 888 / 1,109 tokens/s, Q8_0 711 / 945 -> 836 / 1,064 (against
// the GEMM on F16 activations), Q5_0 594 / 793 -> 654 / 834 (the int8 GEMM);
// F16 568 / 750 -> 465 / 519, so it keeps its GEMM from 3.
inline int64_t gemm_min_tokens(gguf::GgmlType type) {
  return block_regions(type).qs != 0 ? kQuantMatvecMaxTokens + 1 : 3;
}

struct WeightView {
  const uint8_t* data = nullptr;  // [rows, stride] in the device layout (weight_layout.h)
  gguf::GgmlType type = gguf::GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t stride = 0;
};

// Per-slot expert selection for the matrix-vector path (mixture of experts):
// slot s multiplies expert ids[s] (a matrix of w.rows rows, the experts
// stacked from w.data) by activation row s / x_div into output row s.
struct ExpertSelect {
  const int32_t* ids = nullptr;  // [n_slots] device
  int64_t n_expert = 0;
  int64_t n_slots = 0;
  int64_t x_div = 1;
  uint32_t* error_flag = nullptr;  // raises kExpertOutOfRange
};

inline constexpr int kMaxMatvecParts = 3;

// One weight of a matrix-vector launch and where its outputs go.
struct MatvecPart {
  WeightView w;
  float* out = nullptr;  // [n_tokens, out_stride], columns 0..w.rows written
  int64_t out_stride = 0;
};

// A decode layer's Q, K and V products (parts 0, 1 and 2) can finish as
// the RoPE and KV store after them would (matvec_rope_store.cuh): with
// k_cache set, Q and K come out rotated and K and V also go into the cache.
struct MatvecRopeStore {
  uint8_t* k_cache = nullptr;  // [n_slots, k_row_bytes], F16 or F32 as k_f16 says
  uint8_t* v_cache = nullptr;  // [n_slots, v_row_bytes]
  size_t k_row_bytes = 0;
  size_t v_row_bytes = 0;
  bool k_f16 = false;
  bool v_f16 = false;
  const int32_t* positions = nullptr;  // [n_tok] device
  const int32_t* slots = nullptr;      // [n_tok] device
  int64_t n_slots = 0;
  int64_t head_dim = 0;  // of Q's and K's heads
  int64_t n_rot = 0;     // dims rotated at the start of each head, in adjacent pairs
  float freq_scale = 1.0f;
  float ext_factor = 0.0f;
  RopeConstants k;
  const float* freq_factors = nullptr;  // [n_rot / 2] device, or null
  uint32_t* error_flag = nullptr;       // raises kSlotOutOfRange
};

// Everything one matrix-vector launch reads: up to kMaxMatvecParts weights
// of one type and width over the same activations (Q, K and V; gate and up)
// share the grid, block ranges one after another.
struct MatvecArgs {
  struct Part {
    const uint8_t* w = nullptr;  // [rows, w_stride]
    size_t w_stride = 0;
    int64_t rows = 0;
    float* out = nullptr;  // [n_tok, out_stride]
    int64_t out_stride = 0;
    int64_t first_block = 0;  // grid.x index of its first row block
  } parts[kMaxMatvecParts];
  int n_parts = 1;
  int64_t cols = 0;
  const uint8_t* xq = nullptr;  // [n_tok, x_stride] converted activations
  const float2* xds = nullptr;  // [n_tok, cols / 32] (act_has_ds formats)
  size_t x_stride = 0;
  int64_t n_tok = 0;
  ExpertSelect experts;  // ids null: a plain matmul
  MatvecRopeStore rope;  // k_cache null: plain outputs
  bool four_rows = false;  // one-token Q+K+V in blocks of kMatvecQkvRows rows (launch_matvec_rope_store)
};

// The activation format both paths read for a weight type: the CPU backend's.
ActFormat act_format(gguf::GgmlType type);
// Whether launch_gemm uses the tensor-core kernels (CUDA, not F32, whole 32-element blocks).
bool gemm_on_tensor_cores(const WeightView& w);

// All parts must share the weight type and width.
Status launch_matvec(std::span<const MatvecPart> parts,
                     const ActView& x,  // [n_tokens, cols] converted to act_format
                     int64_t n_tokens, rt::Stream stream, const ExpertSelect& experts = {});
// Q, K and V (parts) of up to kMatvecRopeStoreTokens tokens with RoPE and
// the KV store in the epilogue (MatvecRopeStore; GpuBackend::products_rope_store says when).
// One token of a quantised type whose 2-row blocks would take more than one
// wave of 16 blocks a multiprocessor (of sm_count) runs in blocks of
// kMatvecQkvRows rows instead, all resident at once: Llama 3 8B's 6,144
// rows are 3,072 blocks of 2 on an H200's 2,112 slots (a wave and a
// tail), 1,536 of 4. Q8_0 is left out: its 32-byte units spill at the 40
// registers that 12 blocks a multiprocessor allow.
inline constexpr int64_t kMatvecRopeStoreTokens = 2;
inline constexpr int kMatvecQkvRows = 4;

// Rows per block of the matrix-vector kernel for kTok tokens. One token: 2
// rows, so the grid has twice the blocks of 4 rows and more loads in flight
// (run 4 measured 128 threads x 2 rows against 4 and 8 rows and 32..256
// threads: Q4_0 and Q8_0 8-18% faster at 4096 and 28672 rows). Two tokens
// reuse each weight load, so 4 rows.
template <int kTok>
inline constexpr int kMatvecRowsPerBlock = kTok == 2 ? 4 : 2;
// The blocks a multiprocessor that the one-token kernel of most quantised
// types is built to hold (matvec_kernel.cuh: kMatvecSixteenBlocks).
inline constexpr int kMatvecOneTokenBlocksPerSm = 16;
constexpr bool matvec_qkv_four_rows(gguf::GgmlType type) {
  return block_regions(type).qs != 0 && type != gguf::GgmlType::kQ8_0;
}
Status launch_matvec_rope_store(std::span<const MatvecPart, 3> parts, const ActView& x, int64_t n_tokens,
                                const MatvecRopeStore& rope, int sm_count, rt::Stream stream);
// Any number of tokens through the matrix-vector kernel, kMatvecMaxTokens at a time.
Status launch_matvec_chunks(const MatvecPart& part, const ActView& x, int64_t n_tokens, rt::Stream stream);

// A GEMM whose tiles alone would not fill the GPU is split along K: each
// slice writes a partial product into `partial`. Quantised weights: the
// tile's last slice to finish (a counter) adds them in slice order; float
// weights: a second kernel does ([splits, n_tokens, w.rows]). Either way
// deterministic, unlike atomics.
// Quantised weights take up to kMaxMatvecParts parts of one type and width
// over the same activations (Q, K and V; gate and up), their row tiles one
// after another in one launch; float weights one.
struct GemmArgs {
  MatvecPart parts[kMaxMatvecParts];
  int n_parts = 1;
  ActView x;  // [n_tokens, cols] converted to act_format
  int64_t n_tokens = 0;
  int splits = 1;
  float* partial = nullptr;      // gemm_partial_bytes() of scratch when splits > 1
  uint32_t* counters = nullptr;  // gemm_counter_bytes(), zero, when splits > 1 (each launch leaves them zero)
  // Row runs start their slices at their own steps (gemm_q8_kernel); not in
  // the batch-invariant mode, whose rows sum in one order at every token count.
  bool rotate = false;
};

// The quantised GEMM's blocks (gemm_q8_kernel.cuh): q8_gemm_rows weight rows
// by q8_gemm_tokens(n) tokens (8, 16, 32 or 64; more tokens take several
// blocks), over K in steps of kQ8GemmStep.
inline constexpr int64_t kQ8GemmRows = 128;
inline constexpr int64_t kQ8GemmStep = 256;
constexpr int64_t q8_gemm_tokens(int64_t n_tokens) {
  return n_tokens <= 8 ? 8 : n_tokens <= 16 ? 16 : n_tokens <= 32 ? 32 : 64;
}
// Weight rows a block of that many tokens takes: half the tile up to 32
// tokens, so that a decode step's products run more blocks (and warps) a
// multiprocessor.
constexpr int64_t q8_gemm_rows(int64_t tokens) { return tokens <= 32 ? kQ8GemmRows / 2 : kQ8GemmRows; }
// Blocks of that many tokens a multiprocessor holds (their shared memory's
// budget). At 8 tokens, 5: Q4_0 and Q4_K take 3 stages instead of 4, and
// more blocks a multiprocessor gain more than the deeper pipeline (H200:
// Q4_0 x8 +3.9%, Q4_K +3.4%, bench/RESULTS-gpu-runs-125-134.md runs
// 125-126); at 16, 4, since Q4_K's 2 stages there lost 4%; at 32, 4 (as
// many as its registers allow): Q4_0 and Q4_K 2 stages instead of 3, Q4_K
// x32 +2.5% (run 127).
constexpr int q8_gemm_blocks_per_sm(int64_t tokens) { return tokens <= 8 ? 5 : tokens <= 32 ? 4 : 2; }

// k-steps per slice and the distance between slices' outputs, as the float kernels read them.
struct GemmSplit {
  int64_t steps = 0;
  int64_t out_offset = 0;
};

// The split of a's parts on a GPU of `sm_count` multiprocessors (1: none),
// sized as if for `n_tokens` rows.
int gemm_splits(const GemmArgs& a, int64_t n_tokens, int sm_count);
size_t gemm_partial_bytes(const GemmArgs& a, int splits);
size_t gemm_counter_bytes(const GemmArgs& a);
int64_t gemm_split_steps(const WeightView& w, int splits);

Status launch_gemm(const GemmArgs& args, rt::Stream stream);

// Per-type entry points, defined in the instance files mm_<type>.cu.
template <gguf::GgmlType T>
Status launch_matvec_t(const MatvecArgs& args, rt::Stream stream);
template <gguf::GgmlType T>
Status launch_gemm_t(const GemmArgs& args, rt::Stream stream);

}  // namespace rocmforge::backend::gpu
