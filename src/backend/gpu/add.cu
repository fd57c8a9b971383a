#include "backend/gpu/add.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    add_kernel(const float* a, int64_t a_stride,  // [rows, cols]
               const float* b, int64_t b_stride,  // [rows, cols]
               float* out, int64_t out_stride,    // [rows, cols]
               int64_t cols) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= cols) return;
  const int64_t r = blockIdx.y;
  out[r * out_stride + i] = a[r * a_stride + i] + b[r * b_stride + i];
}

}  // namespace

Status launch_add(const float* a, int64_t a_stride, const float* b, int64_t b_stride, float* out, int64_t out_stride,
                  int64_t rows, int64_t cols, rt::Stream stream) {
  if (rows == 0) return ok();
  if (rows > 65535) return RF_ERROR(kInternal, "{} rows in one add", rows);
  const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(rows));
  return check(rt::launch_overlapped(add_kernel, grid, kThreads, stream, a, a_stride, b, b_stride, out, out_stride, cols),
               "add_kernel");
}

}  // namespace rocmforge::backend::gpu
