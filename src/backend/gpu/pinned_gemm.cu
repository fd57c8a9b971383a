#include "backend/gpu/pinned_gemm.cuh"

namespace rocmforge::backend::gpu {
namespace {

// The row counts the algorithms are chosen for: a prompt step's usual size,
// and a full decode step's. Each then serves every row count of its kind.
constexpr int64_t kPromptRows = 512;
constexpr int64_t kGeneratedRows = 64;

Status check_lt(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return ok();
  return RF_ERROR(kInternal, "{} failed: {}", call, cublasGetStatusString(status));
}
#define RF_LT_CHECK(call) check_lt((call), #call)

// The descriptors of one product, destroyed on every path out.
struct Descriptors {
  cublasLtMatmulDesc_t op = nullptr;
  cublasLtMatrixLayout_t a = nullptr;
  cublasLtMatrixLayout_t b = nullptr;
  cublasLtMatrixLayout_t c = nullptr;
  Descriptors() = default;
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
  ~Descriptors() {
    if (c != nullptr) static_cast<void>(cublasLtMatrixLayoutDestroy(c));
    if (b != nullptr) static_cast<void>(cublasLtMatrixLayoutDestroy(b));
    if (a != nullptr) static_cast<void>(cublasLtMatrixLayoutDestroy(a));
    if (op != nullptr) static_cast<void>(cublasLtMatmulDescDestroy(op));
  }

  // Row-major out[t, o] = sum_k x[t, k] w[o, k] as column-major out^T = w . x^T (as dense_gemm_cublas.cu).
  Status init(const WeightView& w, int64_t x_stride, int64_t n_tokens, int64_t out_stride) {
    const cudaDataType_t type = w.type == gguf::GgmlType::kBF16 ? CUDA_R_16BF : CUDA_R_16F;
    RF_TRY(RF_LT_CHECK(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F)));
    const cublasOperation_t transpose = CUBLAS_OP_T;
    RF_TRY(RF_LT_CHECK(
        cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &transpose, sizeof(transpose))));
    const auto lda = static_cast<int64_t>(w.stride / sizeof(uint16_t));
    RF_TRY(RF_LT_CHECK(cublasLtMatrixLayoutCreate(&a, type, static_cast<uint64_t>(w.cols),
                                                  static_cast<uint64_t>(w.rows), lda)));
    RF_TRY(RF_LT_CHECK(cublasLtMatrixLayoutCreate(&b, type, static_cast<uint64_t>(w.cols),
                                                  static_cast<uint64_t>(n_tokens), x_stride)));
    RF_TRY(RF_LT_CHECK(cublasLtMatrixLayoutCreate(&c, CUDA_R_32F, static_cast<uint64_t>(w.rows),
                                                  static_cast<uint64_t>(n_tokens), out_stride)));
    return ok();
  }
};

}  // namespace

Result<std::unique_ptr<PinnedGemm>> PinnedGemm::create(rt::Stream stream, void* workspace, size_t workspace_bytes) {
  cublasLtHandle_t handle = nullptr;
  RF_TRY(RF_LT_CHECK(cublasLtCreate(&handle)));
  return std::unique_ptr<PinnedGemm>(new PinnedGemm(handle, stream, workspace, workspace_bytes));
}

PinnedGemm::~PinnedGemm() { static_cast<void>(cublasLtDestroy(handle_)); }

Result<PinnedGemm::Algo> PinnedGemm::algo(const WeightView& w, int64_t x_stride, int64_t out_stride, RowKind kind) {
  const ShapeKey key{w.rows, w.cols, static_cast<int>(w.type), kind};
  if (const auto it = algos_.find(key); it != algos_.end()) return it->second;
  Descriptors d;
  RF_TRY(d.init(w, x_stride, kind == RowKind::kPrompt ? kPromptRows : kGeneratedRows, out_stride));
  cublasLtMatmulPreference_t pref = nullptr;
  RF_TRY(RF_LT_CHECK(cublasLtMatmulPreferenceCreate(&pref)));
  const uint32_t schemes = kind == RowKind::kPrompt ? CUBLASLT_REDUCTION_SCHEME_NONE : CUBLASLT_REDUCTION_SCHEME_MASK;
  // Rows are 16-byte aligned (kRowAlign), not the 256 bytes the heuristics assume by default.
  const uint32_t align = 16;
  cublasStatus_t s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                          &workspace_bytes_, sizeof(workspace_bytes_));
  if (s == CUBLAS_STATUS_SUCCESS) {
    s = cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_REDUCTION_SCHEME_MASK, &schemes,
                                             sizeof(schemes));
  }
  constexpr cublasLtMatmulPreferenceAttributes_t kAlignments[] = {
      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES,
      CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
  for (const cublasLtMatmulPreferenceAttributes_t attr : kAlignments) {
    if (s == CUBLAS_STATUS_SUCCESS) s = cublasLtMatmulPreferenceSetAttribute(pref, attr, &align, sizeof(align));
  }
  cublasLtMatmulHeuristicResult_t found = {};
  int n_found = 0;
  if (s == CUBLAS_STATUS_SUCCESS) {
    s = cublasLtMatmulAlgoGetHeuristic(handle_, d.op, d.a, d.b, d.c, d.c, pref, 1, &found, &n_found);
  }
  static_cast<void>(cublasLtMatmulPreferenceDestroy(pref));
  RF_TRY(check_lt(s, "cublasLtMatmulAlgoGetHeuristic"));
  if (n_found == 0) {
    return RF_ERROR(kUnsupported, "cuBLASLt has no algorithm for a {} x {} weight", w.rows, w.cols);
  }
  algos_.emplace(key, Algo{found.algo});
  return Algo{found.algo};
}

Status PinnedGemm::gemm(const WeightView& w, const ActView& x, int64_t n_tokens, float* out, int64_t out_stride,
                        RowKind kind) {
  const auto x_stride = static_cast<int64_t>(x.stride / sizeof(uint16_t));
  const Algo chosen = RF_TRY(algo(w, x_stride, out_stride, kind));
  Descriptors d;
  RF_TRY(d.init(w, x_stride, n_tokens, out_stride));
  const float alpha = 1.0f;
  const float beta = 0.0f;
  return RF_LT_CHECK(cublasLtMatmul(handle_, d.op, &alpha, w.data, d.a, x.q, d.b, &beta, out, d.c, out, d.c, &chosen.algo,
                                    workspace_, workspace_bytes_, stream_));
}

}  // namespace rocmforge::backend::gpu
