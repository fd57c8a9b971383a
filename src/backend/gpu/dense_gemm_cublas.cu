// The BLAS path on CUDA: cuBLAS GemmEx on tensor cores, F32 accumulation.
#include <cublas_v2.h>

#include "backend/gpu/check.cuh"
#include "backend/gpu/dense_gemm.cuh"
#include "backend/gpu/dequant_f16.cuh"
#include "backend/gpu/pinned_gemm.cuh"

namespace rocmforge::backend::gpu {
namespace {

// cuBLAS's own workspace, given up front so that recorded decode graphs never
// make it allocate (cuBLAS's recommendation for Hopper: 32 MiB).
constexpr size_t kWorkspaceBytes = size_t{32} << 20;

Status check_blas(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return ok();
  return RF_ERROR(kInternal, "{} failed: {}", call, cublasGetStatusString(status));
}
#define RF_BLAS_CHECK(call) check_blas((call), #call)

bool half_type(gguf::GgmlType t) { return t == gguf::GgmlType::kF16 || t == gguf::GgmlType::kBF16; }

class CublasGemm final : public DenseGemm {
 public:
  CublasGemm(cublasHandle_t handle, rt::Stream stream, std::unique_ptr<DeviceBuffer> workspace)
      : handle_(handle), stream_(stream), workspace_(std::move(workspace)) {}
  Status init_pinned() {
    pinned_ = RF_TRY(PinnedGemm::create(stream_, workspace_->data(), workspace_->size()));
    return ok();
  }
  ~CublasGemm() override { static_cast<void>(cublasDestroy(handle_)); }
  CublasGemm(const CublasGemm&) = delete;
  CublasGemm& operator=(const CublasGemm&) = delete;

  bool takes(const WeightView& w, int64_t n_tokens) const override {
    // F16 and BF16 weights need no dequantising pass: every GEMM of theirs (past the matvec's few tokens) is faster here.
    return w.cols % kQuantBlock == 0 &&
           (half_type(w.type) || (n_tokens >= kDenseGemmMinTokens && dequant_f16_supported(w.type)));
  }

  Status gemm(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride,
              void* scratch) override {
    if (x.format != dense_act_format(w.type)) return RF_ERROR(kInternal, "dense GEMM over the wrong activations");
    const void* a = w.data;
    int64_t lda = static_cast<int64_t>(w.stride / sizeof(uint16_t));
    if (!half_type(w.type)) {
      RF_TRY(dequantise(w, static_cast<uint16_t*>(scratch)));
      a = scratch;
      lda = w.cols;
    }
    const cudaDataType_t type = w.type == gguf::GgmlType::kBF16 ? CUDA_R_16BF : CUDA_R_16F;
    const float alpha = 1.0f;
    const float beta = 0.0f;
    // Row-major out[t, o] = sum_k x[t, k] w[o, k] is column-major out^T = w . x^T:
    // w's rows are the columns of a K x N matrix (transposed), x's rows those of a K x M one.
    return RF_BLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(w.rows),
                                      static_cast<int>(n_tokens), static_cast<int>(w.cols), &alpha, a, type,
                                      static_cast<int>(lda), x.q, type,
                                      static_cast<int>(x.stride / sizeof(uint16_t)), &beta, out, CUDA_R_32F,
                                      static_cast<int>(out_stride), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }

  Status gemm_f16_out(const WeightView& w, const ActView& x, int64_t n_tokens, uint16_t* out,
                      int64_t out_stride) override {
    if (w.type != gguf::GgmlType::kF16 || x.format != ActFormat::kF16) {
      return RF_ERROR(kInternal, "an F16-output GEMM over {} weights", gguf::ggml_type_name(w.type));
    }
    const float alpha = 1.0f;
    const float beta = 0.0f;
    // As gemm: column-major out^T = w . x^T, summed in F32, stored as F16.
    return RF_BLAS_CHECK(cublasGemmEx(handle_, CUBLAS_OP_T, CUBLAS_OP_N, static_cast<int>(w.rows),
                                      static_cast<int>(n_tokens), static_cast<int>(w.cols), &alpha, w.data, CUDA_R_16F,
                                      static_cast<int>(w.stride / sizeof(uint16_t)), x.q, CUDA_R_16F,
                                      static_cast<int>(x.stride / sizeof(uint16_t)), &beta, out, CUDA_R_16F,
                                      static_cast<int>(out_stride), CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
  }

  Status dequantise(const WeightView& w, uint16_t* dst) override { return launch_dequant_f16(w, dst, stream_); }

  Status gemm_invariant(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride,
                        RowKind kind) override {
    if (!half_type(w.type) || x.format != dense_act_format(w.type)) {
      return RF_ERROR(kInternal, "an invariant BLAS product over {} weights", gguf::ggml_type_name(w.type));
    }
    return pinned_->gemm(w, x, n_tokens, out, out_stride, kind);
  }

 private:
  cublasHandle_t handle_;
  rt::Stream stream_;
  std::unique_ptr<DeviceBuffer> workspace_;
  std::unique_ptr<PinnedGemm> pinned_;
};

}  // namespace

size_t dense_scratch_bytes(const WeightView& w) {
  return half_type(w.type) ? 0 : static_cast<size_t>(w.rows * w.cols) * sizeof(uint16_t);
}

Result<std::unique_ptr<DenseGemm>> make_dense_gemm(rt::Stream stream, std::shared_ptr<MemoryBudget> budget) {
  auto workspace = RF_TRY(DeviceBuffer::create(std::move(budget), kWorkspaceBytes, "the cuBLAS workspace"));
  void* ws = workspace->data();
  cublasHandle_t handle = nullptr;
  RF_TRY(RF_BLAS_CHECK(cublasCreate(&handle)));
  auto gemm = std::make_unique<CublasGemm>(handle, stream, std::move(workspace));  // owns the handle from here
  RF_TRY(RF_BLAS_CHECK(cublasSetStream(handle, stream)));
  RF_TRY(RF_BLAS_CHECK(cublasSetWorkspace(handle, ws, kWorkspaceBytes)));
  RF_TRY(gemm->init_pinned());
  return std::unique_ptr<DenseGemm>(std::move(gemm));
}

}  // namespace rocmforge::backend::gpu
