#include "backend/gpu/rms_norm.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 512;

// One block per row, two kernels for the same arithmetic. Pass 1: each
// thread reads its elements (adding the residual and storing the sum), keeps
// the first kHeld of them and their weights in registers and the partial sum
// of squares; the block sums those. Pass 2: each thread scales its elements,
// in the CPU's order (x * scale) * w. Every element is read and written by
// the same thread, so the outputs may alias the inputs.
//
// A decode step normalises one row, so a single block's latency is the cost:
// rms_norm_vec_kernel moves four floats per load and converts four at a time
// (store_act4); rms_norm_kernel takes rows whose width or alignment does not
// allow that.

// 1 / sqrt(mean of squares + eps) of a row from each thread's partial sum of
// squares; every thread of the block calls it and gets the same value.
__device__ __forceinline__ float row_scale(float sq, int64_t cols, float eps) {
  constexpr int kWarps = kThreads / kWarpSize;
  __shared__ float partial[kWarps];
  sq = warp_sum(sq);
  if (threadIdx.x % kWarpSize == 0) partial[threadIdx.x / kWarpSize] = sq;
  __syncthreads();
  float total = 0.0f;
#pragma unroll
  for (int w = 0; w < kWarps; ++w) total += partial[w];
  return 1.0f / sqrtf(total / static_cast<float>(cols) + eps);
}

// Four floats per element: rows of cols / 4 float4, all 16-byte aligned.
template <bool kResidual, ActFormat F>
__global__ void __launch_bounds__(kThreads) rms_norm_vec_kernel(NormArgs a) {
  constexpr int kHeld = 4;  // float4 per thread in registers between the passes (rows up to 8192)
  const int64_t row = blockIdx.x;
  const int64_t n4 = a.cols / 4;
  // The weights are no kernel's output: read while the previous kernel runs.
  const auto* w4 = reinterpret_cast<const float4*>(a.weight);
  float4 held_w[kHeld];
#pragma unroll
  for (int j = 0; j < kHeld; ++j) {
    const int64_t i = threadIdx.x + static_cast<int64_t>(j) * kThreads;
    held_w[j] = i < n4 ? w4[i] : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  }
  allow_next_then_wait();
  const auto* src = reinterpret_cast<const float4*>(a.x + row * a.x_stride);
  const auto* res = kResidual ? reinterpret_cast<const float4*>(a.residual + row * a.residual_stride) : nullptr;
  auto* sum_row = kResidual ? reinterpret_cast<float4*>(a.sum + row * a.sum_stride) : nullptr;
  auto load = [&](int64_t i) {
    float4 v = src[i];
    if constexpr (kResidual) {
      const float4 r = res[i];
      v = make_float4(v.x + r.x, v.y + r.y, v.z + r.z, v.w + r.w);
      sum_row[i] = v;
    }
    return v;
  };
  float4 held[kHeld];
  float sq = 0.0f;
#pragma unroll
  for (int j = 0; j < kHeld; ++j) {
    const int64_t i = threadIdx.x + static_cast<int64_t>(j) * kThreads;
    held[j] = i < n4 ? load(i) : make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    sq += held[j].x * held[j].x + held[j].y * held[j].y + held[j].z * held[j].z + held[j].w * held[j].w;
  }
  for (int64_t i = threadIdx.x + static_cast<int64_t>(kHeld) * kThreads; i < n4; i += kThreads) {
    const float4 v = load(i);
    sq += v.x * v.x + v.y * v.y + v.z * v.z + v.w * v.w;
  }
  const float scale = row_scale(sq, a.cols, a.eps);
  auto* dst = a.out != nullptr ? reinterpret_cast<float4*>(a.out + row * a.out_stride) : nullptr;
  uint8_t* q_row = nullptr;
  if constexpr (F != ActFormat::kF32) q_row = a.act.q + row * a.act.q_stride;
  float2* ds_row = nullptr;
  if constexpr (act_has_ds(F)) ds_row = a.act.ds + row * (a.cols / kQuantBlock);
  // Every lane runs every iteration (store_act4 reduces across lanes); `active` marks those inside the row.
  auto finish = [&](int64_t i, float4 x, float4 w, bool active) {
    const float4 v = make_float4(x.x * scale * w.x, x.y * scale * w.y, x.z * scale * w.z, x.w * scale * w.w);
    if (active && dst != nullptr) dst[i] = v;
    if constexpr (F != ActFormat::kF32 && F != ActFormat::kQ8K) store_act4<F>(v, 4 * i, active, q_row, ds_row);
  };
#pragma unroll
  for (int j = 0; j < kHeld; ++j) {
    const int64_t i = threadIdx.x + static_cast<int64_t>(j) * kThreads;
    finish(i, held[j], held_w[j], i < n4);
  }
  for (int64_t base = static_cast<int64_t>(kHeld) * kThreads; base < n4; base += kThreads) {
    const int64_t i = base + threadIdx.x;
    const bool active = i < n4;
    const float4 zero = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
    finish(i, active ? (kResidual ? sum_row[i] : src[i]) : zero, active ? w4[i] : zero, active);
  }
  if constexpr (F == ActFormat::kQ8K) {
    store_q8k_blocks(a.out + row * a.out_stride, 0, a.cols / kSuperBlock, q_row, ds_row);  // 256 at a time, from dst
  }
}

// One float per element, any width and alignment.
template <bool kResidual, ActFormat F>
__global__ void __launch_bounds__(kThreads) rms_norm_kernel(NormArgs a) {
  allow_next_then_wait();
  constexpr int kHeld = 16;  // elements in registers between the passes (rows up to 8192)
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
  const float scale = row_scale(sq, a.cols, a.eps);
  float* dst = a.out != nullptr ? a.out + row * a.out_stride : nullptr;
  uint8_t* q_row = nullptr;
  if constexpr (F != ActFormat::kF32) q_row = a.act.q + row * a.act.q_stride;
  float2* ds_row = nullptr;
  if constexpr (act_has_ds(F)) ds_row = a.act.ds + row * (a.cols / kQuantBlock);
  auto finish = [&](int64_t i, float x) {
    if constexpr (kResidual) sum_row[i] = x;
    const float v = x * scale * a.weight[i];
    if (dst != nullptr) dst[i] = v;
    if constexpr (F != ActFormat::kF32 && F != ActFormat::kQ8K) store_act<F>(v, i, q_row, ds_row);
  };
#pragma unroll
  for (int j = 0; j < kHeld; ++j) {
    const int64_t i = threadIdx.x + static_cast<int64_t>(j) * kThreads;
    if (i < a.cols) finish(i, held[j]);  // whole 32-element blocks stay together: cols % 32 == 0 for Q8
  }
  for (int64_t i = threadIdx.x + static_cast<int64_t>(kHeld) * kThreads; i < a.cols; i += kThreads) {
    finish(i, kResidual ? sum_row[i] : src[i]);
  }
  if constexpr (F == ActFormat::kQ8K) store_q8k_blocks(dst, 0, a.cols / kSuperBlock, q_row, ds_row);
}

// Whether every row the kernel touches starts 16-byte aligned and holds whole float4.
bool vector_rows(const NormArgs& a) {
  const bool residual = a.residual != nullptr;
  return a.cols % 4 == 0 && a.x_stride % 4 == 0 && a.out_stride % 4 == 0 && aligned16(a.x) && aligned16(a.out) &&
         aligned16(a.weight) &&
         (!residual || (a.residual_stride % 4 == 0 && a.sum_stride % 4 == 0 && aligned16(a.residual) &&
                        aligned16(a.sum))) &&
         (a.act.format == ActFormat::kF32 || a.act.q_stride % 8 == 0);
}

}  // namespace

Status launch_rms_norm(const NormArgs& a, rt::Stream stream) {
  if (a.rows == 0) return ok();
  if (!act_row_fits(a.act.format, a.cols)) {
    return RF_ERROR(kInternal, "a quantised copy of rows of {} elements", a.cols);
  }
  if (a.out == nullptr && !act_out_only(a.act.format)) {
    return RF_ERROR(kInternal, "an RMS norm without its F32 output and no copy it can write alone");
  }
  const bool vec = vector_rows(a);
  const unsigned grid = static_cast<unsigned>(a.rows);
  const rt::Error launched = with_act_format(a.act.format, [&]<ActFormat F>() {
    if (a.residual != nullptr) {
      return rt::launch_overlapped(vec ? rms_norm_vec_kernel<true, F> : rms_norm_kernel<true, F>, grid, kThreads,
                                   stream, a);
    }
    return rt::launch_overlapped(vec ? rms_norm_vec_kernel<false, F> : rms_norm_kernel<false, F>, grid, kThreads,
                                 stream, a);
  });
  return check(launched, "rms_norm_kernel");
}

}  // namespace rocmforge::backend::gpu
