// The build without a BLAS (HIP): no dense path; the GEMM kernels serve every batch.
#include "backend/gpu/dense_gemm.cuh"

namespace rocmforge::backend::gpu {

size_t dense_scratch_bytes(const WeightView&) { return 0; }

Result<std::unique_ptr<DenseGemm>> make_dense_gemm(rt::Stream, std::shared_ptr<MemoryBudget>) {
  return std::unique_ptr<DenseGemm>();
}

}  // namespace rocmforge::backend::gpu
