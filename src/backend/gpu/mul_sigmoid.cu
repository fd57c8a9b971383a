#include "backend/gpu/mul_sigmoid.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// The gate as ggml composes it: silu(g) / g.
__global__ void __launch_bounds__(kThreads)
    mul_sigmoid_kernel(float* x, int64_t x_stride,        // [rows, cols]
                       const float* g, int64_t g_stride,  // [rows, 1]
                       int64_t cols) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= cols) return;
  const int64_t r = blockIdx.y;
  const float v = g[r * g_stride];
  x[r * x_stride + i] *= (v / (1.0f + expf(-v))) / v;
}

}  // namespace

Status launch_mul_sigmoid(float* x, int64_t x_stride, const float* g, int64_t g_stride, int64_t rows, int64_t cols,
                          rt::Stream stream) {
  if (rows == 0) return ok();
  if (rows > 65535) return RF_ERROR(kInternal, "{} rows in one mul_sigmoid", rows);
  const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(rows));
  mul_sigmoid_kernel<<<grid, kThreads, 0, stream>>>(x, x_stride, g, g_stride, cols);
  return check_launch("mul_sigmoid_kernel");
}

}  // namespace rocmforge::backend::gpu
