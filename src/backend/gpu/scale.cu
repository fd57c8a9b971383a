#include "backend/gpu/scale.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

template <bool kCap>
__global__ void __launch_bounds__(kThreads)
    scale_kernel(float* x, int64_t x_stride,  // [rows, cols]
                 int64_t cols, float s) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= cols) return;
  float* p = x + static_cast<int64_t>(blockIdx.y) * x_stride + i;
  if constexpr (kCap) {
    *p = tanhf(*p * (1.0f / s)) * s;
  } else {
    *p *= s;
  }
}

template <bool kCap>
Status launch(float* x, int64_t x_stride, int64_t rows, int64_t cols, float s, rt::Stream stream) {
  if (rows == 0) return ok();
  if (rows > 65535) return RF_ERROR(kInternal, "{} rows in one scale", rows);
  const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(rows));
  scale_kernel<kCap><<<grid, kThreads, 0, stream>>>(x, x_stride, cols, s);
  return check_launch("scale_kernel");
}

}  // namespace

Status launch_scale(float* x, int64_t x_stride, int64_t rows, int64_t cols, float s, rt::Stream stream) {
  return launch<false>(x, x_stride, rows, cols, s, stream);
}

Status launch_softcap(float* x, int64_t x_stride, int64_t rows, int64_t cols, float cap, rt::Stream stream) {
  return launch<true>(x, x_stride, rows, cols, cap, stream);
}

}  // namespace rocmforge::backend::gpu
