// Prompt-row GEMMs of the batch-invariant mode on the BLAS (CUDA): F16/BF16
// weights (F16 copies of quantised ones) through cuBLASLt with one algorithm
// per weight shape, chosen once among those that compute each dot product
// "in one sequence" (reduction scheme none: no split K, no reduction across
// thread blocks). Every output element then comes from one thread block's
// walk over K in the kernel's fixed order, whatever the number of rows or
// where a row sits among them. cuBLAS's own choice, by contrast, changes
// kernel and split with the row count.
#pragma once

#include <cublasLt.h>

#include <cstdint>
#include <map>
#include <memory>

#include "backend/gpu/act_quant.cuh"
#include "backend/gpu/compat.cuh"
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
  Status gemm(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride);

 private:
  PinnedGemm(cublasLtHandle_t handle, rt::Stream stream, void* workspace, size_t workspace_bytes)
      : handle_(handle), stream_(stream), workspace_(workspace), workspace_bytes_(workspace_bytes) {}
  // cuBLASLt's algorithm type is an unnamed struct, which nvcc's front end
  // cannot destroy inside standard containers: held in a named one.
  struct Algo {
    cublasLtMatmulAlgo_t algo;
  };
  // The algorithm for a weight shape, found on the first product of that shape.
  Result<Algo> algo(const WeightView& w, int64_t x_stride, int64_t out_stride);

  cublasLtHandle_t handle_;
  rt::Stream stream_;
  void* workspace_;
  size_t workspace_bytes_;
  struct ShapeKey {
    int64_t rows;
    int64_t cols;
    int type;
    bool operator<(const ShapeKey& o) const {
      return rows != o.rows ? rows < o.rows : cols != o.cols ? cols < o.cols : type < o.type;
    }
  };
  std::map<ShapeKey, Algo> algos_;
};

}  // namespace rocmforge::backend::gpu
