#include "backend/gpu/moe_combine.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 256;

// Each weighted output is rounded to float before it is added, as ggml's mul then add.
__global__ void __launch_bounds__(kThreads)
    moe_combine_kernel(const float* __restrict__ eo, int64_t eo_stride,  // [n_tokens * n_used, cols]
                       const float* __restrict__ w, int64_t w_stride,    // [n_tokens, n_used]
                       int64_t n_used,
                       float* __restrict__ out, int64_t out_stride,  // [n_tokens, cols]
                       int64_t cols) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (i >= cols) return;
  const int64_t t = blockIdx.y;
  const float* wt = w + t * w_stride;
  float acc = eo[(t * n_used) * eo_stride + i] * wt[0];
  for (int64_t j = 1; j < n_used; ++j) acc += eo[(t * n_used + j) * eo_stride + i] * wt[j];
  out[t * out_stride + i] = acc;
}

}  // namespace

Status launch_moe_combine(const float* expert_out, int64_t eo_stride, const float* weights, int64_t w_stride,
                          int64_t n_used, float* out, int64_t out_stride, int64_t n_tokens, int64_t cols,
                          rt::Stream stream) {
  if (n_tokens == 0) return ok();
  if (n_tokens > 65535) return RF_ERROR(kInternal, "{} tokens in one moe_combine", n_tokens);
  const dim3 grid(static_cast<unsigned>((cols + kThreads - 1) / kThreads), static_cast<unsigned>(n_tokens));
  moe_combine_kernel<<<grid, kThreads, 0, stream>>>(expert_out, eo_stride, weights, w_stride, n_used, out,
                                                    out_stride, cols);
  return check_launch("moe_combine_kernel");
}

}  // namespace rocmforge::backend::gpu
