// gpu_blas_algo_bench: a prompt's GEMMs at Llama-3-8B's shapes as the BLAS
// path runs them (cublasGemmEx, cuBLAS's own choice of kernel), against each
// algorithm cuBLASLt's heuristic offers for the same product, timed one by
// one. Says whether choosing the algorithm by timing, a shape at a time,
// would pay, and which configuration wins. Weights rotate among copies so
// the L2 cannot hold them, as in a forward pass. Not a test.
#include <cublasLt.h>
#include <cublas_v2.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

namespace {

constexpr size_t kWorkspaceBytes = size_t{32} << 20;  // the backend's (dense_gemm_cublas.cu)
constexpr int kHeuristics = 32;
constexpr int kWarmup = 3;
constexpr int kIters = 20;
constexpr size_t kRotateBytes = size_t{256} << 20;  // weights per shape, over the 60 MB L2

struct Shape {
  const char* name;
  int n;  // the weight's rows (outputs a token)
  int k;  // its columns
  bool f16_out;
};

constexpr Shape kShapes[] = {{"qkv 6144x4096", 6144, 4096, false},
                             {"o 4096x4096", 4096, 4096, false},
                             {"gate+up 28672x4096, F16 out", 28672, 4096, true},
                             {"down 4096x14336", 4096, 14336, false}};

void check(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e));
  std::exit(1);
}

void check(cublasStatus_t s, const char* what) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  std::fprintf(stderr, "%s: %s\n", what, cublasGetStatusString(s));
  std::exit(1);
}

void* device_random_halves(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<__half> h(n);
  for (__half& x : h) x = __float2half(dist(rng));
  void* d = nullptr;
  check(cudaMalloc(&d, n * sizeof(__half)), "cudaMalloc");
  check(cudaMemcpy(d, h.data(), n * sizeof(__half), cudaMemcpyHostToDevice), "cudaMemcpy");
  return d;
}

// Microseconds a call of run(i), i counting calls (to rotate the weights).
double time_us(cudaStream_t stream, const std::function<bool(int)>& run) {
  for (int i = 0; i < kWarmup; ++i) {
    if (!run(i)) return -1.0;
  }
  cudaEvent_t start = nullptr;
  cudaEvent_t stop = nullptr;
  check(cudaEventCreate(&start), "cudaEventCreate");
  check(cudaEventCreate(&stop), "cudaEventCreate");
  check(cudaEventRecord(start, stream), "cudaEventRecord");
  for (int i = 0; i < kIters; ++i) run(kWarmup + i);
  check(cudaEventRecord(stop, stream), "cudaEventRecord");
  check(cudaEventSynchronize(stop), "cudaEventSynchronize");
  float ms = 0.0f;
  check(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
  check(cudaEventDestroy(start), "cudaEventDestroy");
  check(cudaEventDestroy(stop), "cudaEventDestroy");
  return 1000.0 * ms / kIters;
}

template <class T>
T config(const cublasLtMatmulAlgo_t& algo, cublasLtMatmulAlgoConfigAttributes_t attr) {
  T v{};
  size_t written = 0;
  if (cublasLtMatmulAlgoConfigGetAttribute(&algo, attr, &v, sizeof(v), &written) != CUBLAS_STATUS_SUCCESS) return T{};
  return v;
}

void bench_shape(const Shape& s, int m, cublasHandle_t blas, cublasLtHandle_t lt, void* ws, cudaStream_t stream) {
  const size_t w_elems = static_cast<size_t>(s.n) * s.k;
  const int copies = static_cast<int>(std::max<size_t>(1, kRotateBytes / (w_elems * sizeof(__half))));
  std::vector<void*> w(static_cast<size_t>(copies));
  for (int i = 0; i < copies; ++i) w[static_cast<size_t>(i)] = device_random_halves(w_elems, 7u + i);
  void* x = device_random_halves(static_cast<size_t>(m) * s.k, 3u);
  void* out = nullptr;
  const size_t out_elem = s.f16_out ? sizeof(__half) : sizeof(float);
  check(cudaMalloc(&out, static_cast<size_t>(m) * s.n * out_elem), "cudaMalloc");
  const cudaDataType_t out_type = s.f16_out ? CUDA_R_16F : CUDA_R_32F;
  const float alpha = 1.0f;
  const float beta = 0.0f;
  const double flop = 2.0 * m * s.n * s.k;
  auto weight = [&](int i) { return w[static_cast<size_t>(i % copies)]; };

  // As dense_gemm_cublas.cu: column-major out^T = w . x^T.
  const double base_us = time_us(stream, [&](int i) {
    check(cublasGemmEx(blas, CUBLAS_OP_T, CUBLAS_OP_N, s.n, m, s.k, &alpha, weight(i), CUDA_R_16F, s.k, x, CUDA_R_16F,
                       s.k, &beta, out, out_type, s.n, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
          "cublasGemmEx");
    return true;
  });
  std::printf("%-30s m=%-5d cublasGemmEx %8.1f us %6.1f TFLOP/s\n", s.name, m, base_us, flop / base_us / 1e6);

  cublasLtMatmulDesc_t op = nullptr;
  check(cublasLtMatmulDescCreate(&op, CUBLAS_COMPUTE_32F, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const cublasOperation_t trans = CUBLAS_OP_T;
  check(cublasLtMatmulDescSetAttribute(op, CUBLASLT_MATMUL_DESC_TRANSA, &trans, sizeof(trans)), "TRANSA");
  cublasLtMatrixLayout_t a_layout = nullptr;
  cublasLtMatrixLayout_t b_layout = nullptr;
  cublasLtMatrixLayout_t c_layout = nullptr;
  check(cublasLtMatrixLayoutCreate(&a_layout, CUDA_R_16F, s.k, s.n, s.k), "layout A");
  check(cublasLtMatrixLayoutCreate(&b_layout, CUDA_R_16F, s.k, m, s.k), "layout B");
  check(cublasLtMatrixLayoutCreate(&c_layout, out_type, s.n, m, s.n), "layout C");
  cublasLtMatmulPreference_t pref = nullptr;
  check(cublasLtMatmulPreferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  const size_t ws_bytes = kWorkspaceBytes;
  check(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws_bytes,
                                             sizeof(ws_bytes)),
        "MAX_WORKSPACE_BYTES");
  cublasLtMatmulHeuristicResult_t results[kHeuristics] = {};
  int found = 0;
  check(cublasLtMatmulAlgoGetHeuristic(lt, op, a_layout, b_layout, c_layout, c_layout, pref, kHeuristics, results,
                                       &found),
        "cublasLtMatmulAlgoGetHeuristic");
  double best_us = 0.0;
  int best = -1;
  for (int h = 0; h < found; ++h) {
    const cublasLtMatmulAlgo_t& algo = results[h].algo;
    const double us = time_us(stream, [&](int i) {
      return cublasLtMatmul(lt, op, &alpha, weight(i), a_layout, x, b_layout, &beta, out, c_layout, out, c_layout,
                            &algo, ws, kWorkspaceBytes, stream) == CUBLAS_STATUS_SUCCESS;
    });
    if (us < 0.0) continue;
    std::printf("  #%-2d algo %3d tile %3d stages %3d split %2d reduction %d swizzle %d cluster %2d: %8.1f us %6.1f "
                "TFLOP/s (%+.1f%%)\n",
                h, config<int>(algo, CUBLASLT_ALGO_CONFIG_ID), config<int>(algo, CUBLASLT_ALGO_CONFIG_TILE_ID),
                config<int>(algo, CUBLASLT_ALGO_CONFIG_STAGES_ID), config<int>(algo, CUBLASLT_ALGO_CONFIG_SPLITK_NUM),
                config<int>(algo, CUBLASLT_ALGO_CONFIG_REDUCTION_SCHEME),
                config<int>(algo, CUBLASLT_ALGO_CONFIG_CTA_SWIZZLING),
                config<int>(algo, CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID), us, flop / us / 1e6,
                100.0 * (base_us / us - 1.0));
    if (best < 0 || us < best_us) {
      best_us = us;
      best = h;
    }
  }
  if (best >= 0) {
    std::printf("  best #%d: %.1f us, %.1f TFLOP/s, %+.1f%% over cublasGemmEx\n", best, best_us, flop / best_us / 1e6,
                100.0 * (base_us / best_us - 1.0));
  }
  check(cublasLtMatmulPreferenceDestroy(pref), "destroy");
  check(cublasLtMatrixLayoutDestroy(a_layout), "destroy");
  check(cublasLtMatrixLayoutDestroy(b_layout), "destroy");
  check(cublasLtMatrixLayoutDestroy(c_layout), "destroy");
  check(cublasLtMatmulDescDestroy(op), "destroy");
  for (void* p : w) check(cudaFree(p), "cudaFree");
  check(cudaFree(x), "cudaFree");
  check(cudaFree(out), "cudaFree");
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> tokens;
  for (int i = 1; i < argc; ++i) tokens.push_back(std::atoi(argv[i]));
  if (tokens.empty()) tokens = {512};
  cudaStream_t stream = nullptr;
  check(cudaStreamCreate(&stream), "cudaStreamCreate");
  cublasHandle_t blas = nullptr;
  check(cublasCreate(&blas), "cublasCreate");
  cublasLtHandle_t lt = nullptr;
  check(cublasLtCreate(&lt), "cublasLtCreate");
  void* ws = nullptr;
  check(cudaMalloc(&ws, kWorkspaceBytes), "cudaMalloc");
  check(cublasSetStream(blas, stream), "cublasSetStream");
  check(cublasSetWorkspace(blas, ws, kWorkspaceBytes), "cublasSetWorkspace");
  for (int m : tokens) {
    if (m <= 0) {
      std::fprintf(stderr, "token counts must be positive\n");
      return 1;
    }
    for (const Shape& s : kShapes) bench_shape(s, m, blas, lt, ws, stream);
  }
  check(cublasLtDestroy(lt), "cublasLtDestroy");
  check(cublasDestroy(blas), "cublasDestroy");
  check(cudaFree(ws), "cudaFree");
  check(cudaStreamDestroy(stream), "cudaStreamDestroy");
  return 0;
}
