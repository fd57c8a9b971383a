#include "backend/gpu/rms_norm.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 512;
constexpr int kHeld = 16;  // elements a thread keeps in registers between the passes (rows up to 8192)

// One block per row. Pass 1: each thread reads its elements (adding the
// residual and storing the sum), keeps up to kHeld of them in registers and
// the partial sum of squares; the block sums those. Pass 2: each thread
// scales its elements, in the CPU's order (x * scale) * w. Every element is
// read and written by the same thread, so the outputs may alias the inputs.
template <bool kResidual, ActFormat F>
__global__ void __launch_bounds__(kThreads) rms_norm_kernel(NormArgs a) {
  constexpr int kWarps = kThreads / kWarpSize;
  __shared__ float partial[kWarps];
  const int64_t row = blockIdx.x;
  const float* src = a.x + row * a.x_stride;
  float* sum_row = kResidual ? a.sum + row * a.sum_stride : nullptr;
  float held[kHeld];
  float sq = 0.0f;
#pragma unroll
  for (int j = 0; j < kHeld; ++j) {
    const int64_t i = threadIdx.x + static_cast<int64_t>(j) * kThreads;
    float v = 0.0f;
    if (i < a.cols) {
      v = src[i];
      if constexpr (kResidual) v += a.residual[row * a.residual_stride + i];
    }
    held[j] = v;
    sq += v * v;
  }
  for (int64_t i = threadIdx.x + static_cast<int64_t>(kHeld) * kThreads; i < a.cols; i += kThreads) {
    float v = src[i];
    if constexpr (kResidual) {
      v += a.residual[row * a.residual_stride + i];
      sum_row[i] = v;
    }
    sq += v * v;
  }
  sq = warp_sum(sq);
  if (threadIdx.x % kWarpSize == 0) partial[threadIdx.x / kWarpSize] = sq;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) total += partial[w];
  const float scale = 1.0f / sqrtf(total / static_cast<float>(a.cols) + a.eps);
  float* dst = a.out + row * a.out_stride;
  uint8_t* q_row = nullptr;
  if constexpr (F != ActFormat::kF32) q_row = a.act.q + row * a.act.q_stride;
  float2* ds_row = nullptr;
  if constexpr (F == ActFormat::kQ8 || F == ActFormat::kQ8S) ds_row = a.act.ds + row * (a.cols / kQuantBlock);
  auto finish = [&](int64_t i, float x) {
    if constexpr (kResidual) sum_row[i] = x;
    const float v = x * scale * a.weight[i];
    dst[i] = v;
    if constexpr (F != ActFormat::kF32) store_act<F>(v, i, q_row, ds_row);
  };
#pragma unroll
  for (int j = 0; j < kHeld; ++j) {
    const int64_t i = threadIdx.x + static_cast<int64_t>(j) * kThreads;
    if (i < a.cols) finish(i, held[j]);  // whole 32-element blocks stay together: cols % 32 == 0 for Q8
  }
  for (int64_t i = threadIdx.x + static_cast<int64_t>(kHeld) * kThreads; i < a.cols; i += kThreads) {
    finish(i, kResidual ? sum_row[i] : src[i]);
  }
}

}  // namespace

Status launch_rms_norm(const NormArgs& a, rt::Stream stream) {
  if (a.rows == 0) return ok();
  if (a.act.format != ActFormat::kF32 && a.act.format != ActFormat::kF16 && a.act.format != ActFormat::kBF16 &&
      a.cols % kQuantBlock != 0) {
    return RF_ERROR(kInternal, "a quantised copy of rows of {} elements", a.cols);
  }
  with_act_format(a.act.format, [&]<ActFormat F>() {
    if (a.residual != nullptr) {
      rms_norm_kernel<true, F><<<static_cast<unsigned>(a.rows), kThreads, 0, stream>>>(a);
    } else {
      rms_norm_kernel<false, F><<<static_cast<unsigned>(a.rows), kThreads, 0, stream>>>(a);
    }
  });
  return check_launch("rms_norm_kernel");
}

}  // namespace rocmforge::backend::gpu
