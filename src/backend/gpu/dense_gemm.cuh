// Prefill GEMMs through the vendor BLAS on tensor cores. F16 and BF16
// weights go in as they are; quantised weights are first dequantised to F16
// in a scratch buffer (one pass over the weight, which 128 or more tokens
// amortise); activations are F16 (BF16 for BF16 weights) and sums F32.
// The quantised GEMM kernels keep the CPU's arithmetic (8-bit activations,
// integer block sums) but reach a sixth of the tensor cores' rate; this path
// trades that match for speed where a prompt's tokens share each weight.
// Only the CUDA build has it (Debian 12 packages no hipBLAS): elsewhere
// make_dense_gemm gives null and the GEMM kernels serve every batch.
#pragma once

#include <cstdint>
#include <memory>

#include "backend/gpu/act_quant.cuh"
#include "backend/gpu/compat.cuh"
#include "backend/gpu/dense_gemm_policy.h"
#include "backend/gpu/device_memory.cuh"
#include "backend/gpu/matmul.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

// The activation format the BLAS path reads for a weight type.
inline ActFormat dense_act_format(gguf::GgmlType type) {
  return type == gguf::GgmlType::kBF16 ? ActFormat::kBF16 : ActFormat::kF16;
}

// Bytes of F16 scratch a weight needs (zero for F16 and BF16 weights, used as they are).
size_t dense_scratch_bytes(const WeightView& w);

// The batch-invariant mode's kinds of row: a token's never depends on the batch.
enum class RowKind { kPrompt, kGenerated };

class DenseGemm {
 public:
  virtual ~DenseGemm() = default;
  // Whether w times n_tokens rows goes through here.
  virtual bool takes(const WeightView& w, int64_t n_tokens) const = 0;
  // out[n_tokens, out_stride] = x . w^T, x in dense_act_format(w.type);
  // scratch holds dense_scratch_bytes(w) bytes of device memory.
  virtual Status gemm(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride,
                      void* scratch) = 0;
  // As gemm for an F16 w, the sums rounded to F16 in out[n_tokens, out_stride]
  // halves (a gated activation's inputs, read at half the bytes).
  virtual Status gemm_f16_out(const WeightView& w, const ActView& x, int64_t n_tokens, uint16_t* out,
                              int64_t out_stride) = 0;
  // dst[w.rows, w.cols] = w as F16 (a quantised weight this path takes).
  virtual Status dequantise(const WeightView& w, uint16_t* dst) = 0;
  // As gemm for an F16 or BF16 w, with one kernel configuration for every
  // n_tokens of a kind of row, so that a row's outputs do not depend on the
  // other rows (pinned_gemm.cuh): the batch-invariant mode.
  virtual Status gemm_invariant(const WeightView& w, const ActView& x, int64_t n_tokens, float* out,
                                int64_t out_stride, RowKind kind) = 0;
};

// The BLAS path on `stream`, with its workspace counted against `budget`;
// null where the build has no BLAS.
Result<std::unique_ptr<DenseGemm>> make_dense_gemm(rt::Stream stream, std::shared_ptr<MemoryBudget> budget);

}  // namespace rocmforge::backend::gpu
