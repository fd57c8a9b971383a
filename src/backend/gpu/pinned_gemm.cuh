// The batch-invariant mode's GEMMs on the BLAS (CUDA): F16/BF16 weights (F16
// copies of quantised ones) through cuBLASLt with one algorithm per weight
// shape and kind of row, chosen once and then used for every row count.
// Every output element then comes from the same kernel's walk over K in a
// fixed order, whatever the number of rows or where a row sits among them
// (cuBLAS's own choice changes kernel and split with the row count).
// Prompt rows take an algorithm chosen for 512 rows among those that compute
// each dot product "in one sequence" (reduction scheme none); generated rows
// one chosen for 64 rows, split K allowed: its split count is part of the
// pinned configuration, and its partial sums are reduced in a fixed order.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <memory>

#include "backend/gpu/act_quant.cuh"
#include "backend/gpu/compat.cuh"
#include "backend/gpu/dense_gemm.cuh"
#include "backend/gpu/matmul.cuh"
#include "rocmforge/error.h"

namespace rocmforge::backend::gpu {

class PinnedGemm {
 public:
  // `workspace` (workspace_bytes of device memory) is shared with the other
  // BLAS calls on `stream`, which run one at a time.
  static Result<std::unique_ptr<PinnedGemm>> create(rt::Stream stream, void* workspace, size_t workspace_bytes);
  ~PinnedGemm();
  PinnedGemm(const PinnedGemm&) = delete;
  PinnedGemm& operator=(const PinnedGemm&) = delete;

  // out[n_tokens, out_stride] = x . w^T, w F16 or BF16, x in the same type.
  Status gemm(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride,
              RowKind kind);

 private:
  PinnedGemm(cublasLtHandle_t handle, rt::Stream stream, void* workspace, size_t workspace_bytes)
      : handle_(handle), stream_(stream), workspace_(workspace), workspace_bytes_(workspace_bytes) {}
  // cuBLASLt's algorithm type is an unnamed struct, which nvcc's front end
  // cannot destroy inside standard containers: held in a named one.
  struct Algo {
    cublasLtMatmulAlgo_t algo;
  };
  // The algorithm for a weight shape and kind of row, found on the first such product.
  Result<Algo> algo(const WeightView& w, int64_t x_stride, int64_t out_stride, RowKind kind);

  cublasLtHandle_t handle_;
  rt::Stream stream_;
  void* workspace_;
  size_t workspace_bytes_;
  struct ShapeKey {
    int64_t rows;
    int64_t cols;
    int type;
    RowKind kind;
    bool operator<(const ShapeKey& o) const {
      if (rows != o.rows) return rows < o.rows;
      if (cols != o.cols) return cols < o.cols;
      return type != o.type ? type < o.type : kind < o.kind;
    }
  };
  std::map<ShapeKey, Algo> algos_;
};

}  // namespace rocmforge::backend::gpu
