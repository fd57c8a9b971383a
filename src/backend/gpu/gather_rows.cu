#include "backend/gpu/gather_rows.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

__global__ void __launch_bounds__(kThreads)
    gather_rows_kernel(const float* __restrict__ x, int64_t x_stride, int64_t x_rows,  // [x_rows, cols]
                       const int32_t* __restrict__ rows,                               // [n]
                       int64_t cols,
                       float* __restrict__ out, int64_t out_stride,  // [n, cols]
                       uint32_t* error_flag) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t i = blockIdx.y;
  const int32_t src = rows[i];
  if (src < 0 || src >= x_rows) {
    if (threadIdx.x == 0 && blockIdx.x == 0) raise_device_error(error_flag, DeviceError::kRowOutOfRange);
    return;
  }
  for (int64_t c = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; c < cols;
       c += static_cast<int64_t>(gridDim.x) * kThreads) {
    out[i * out_stride + c] = x[src * x_stride + c];
  }
}

}  // namespace

Status launch_gather_rows(const float* x, int64_t x_stride, int64_t x_rows, const int32_t* rows, int64_t n,
                          int64_t cols, float* out, int64_t out_stride, uint32_t* error_flag, rt::Stream stream) {
  if (n == 0) return ok();
  if (n > 65535) return RF_ERROR(kInternal, "{} rows in one gather", n);
  const dim3 grid(static_cast<unsigned>(std::min<int64_t>(8, (cols + kThreads - 1) / kThreads)),
                  static_cast<unsigned>(n));
  return check(rt::launch_overlapped(gather_rows_kernel, grid, kThreads, stream, x, x_stride, x_rows, rows, cols, out,
                                     out_stride, error_flag),
               "gather_rows_kernel");
}

}  // namespace rocmforge::backend::gpu
