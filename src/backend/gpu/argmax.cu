#include "backend/gpu/argmax.cuh"

#include <climits>

#include "backend/gpu/check.cuh"
#include "backend/gpu/gpu_backend_impl.cuh"
#include "backend/gpu/tensor_views.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One block per row: a decode step has one row per sequence, and a 128k row
// is enough loads to keep one multiprocessor's memory pipeline busy.
constexpr int kThreads = 1024;

// Keeps the better of two (value, column) candidates: the larger value, the
// lower column on ties. That is a total order once NaN is -inf, so every
// reduction tree, and any number of threads, picks the same winner.
__device__ __forceinline__ void keep_better(float& best, int& id, float value, int column) {
  if (value > best || (value == best && column < id)) {
    best = value;
    id = column;
  }
}

// One column of a thread's own, in rising order. NaN ranks as -inf, as in the engine's sampler.
__device__ __forceinline__ void take(float& best, int& id, float value, int column) {
  keep_better(best, id, isnan(value) ? -INFINITY : value, column);
}

// kVec: rows of whole, 16-byte aligned float4.
template <bool kVec>
__global__ void __launch_bounds__(kThreads)
    argmax_kernel(const float* __restrict__ x, int64_t x_stride,  // [rows, cols]
                  int cols,
                  int32_t* __restrict__ ids) {  // [rows]
  wait_for_previous_kernel();
  allow_next_kernel();
  const float* row = x + static_cast<int64_t>(blockIdx.x) * x_stride;
  float best = -INFINITY;
  int id = INT_MAX;  // loses every tie: a thread with no column never wins
  if constexpr (kVec) {
    const auto* row4 = reinterpret_cast<const float4*>(row);
#pragma unroll 4  // several loads in flight per thread: one block streams the whole row
    for (int j = threadIdx.x; j < cols / 4; j += kThreads) {
      const float4 v = row4[j];
      take(best, id, v.x, 4 * j);
      take(best, id, v.y, 4 * j + 1);
      take(best, id, v.z, 4 * j + 2);
      take(best, id, v.w, 4 * j + 3);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += kThreads) take(best, id, row[j], j);
  }

  constexpr int kWarps = kThreads / kWarpSize;
  static_assert(kWarps <= kWarpSize, "the last step reduces one value per warp in one warp");
  __shared__ float warp_best[kWarps];
  __shared__ int warp_id[kWarps];
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) keep_better(best, id, shfl_xor(best, mask), shfl_xor(id, mask));
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  if (lane == 0) {
    warp_best[warp] = best;
    warp_id[warp] = id;
  }
  __syncthreads();
  if (warp != 0) return;
  best = lane < kWarps ? warp_best[lane] : -INFINITY;
  id = lane < kWarps ? warp_id[lane] : INT_MAX;
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) keep_better(best, id, shfl_xor(best, mask), shfl_xor(id, mask));
  if (lane == 0) ids[blockIdx.x] = id;
}

}  // namespace

Status launch_argmax(const float* x, int64_t x_stride, int64_t rows, int64_t cols, int32_t* ids,
                     rt::Stream stream) {
  if (rows == 0) return ok();
  if (cols <= 0 || cols > INT_MAX - kThreads || rows > INT_MAX) {  // columns and loop counters are int
    return RF_ERROR(kInternal, "argmax over {} rows of {} columns", rows, cols);
  }
  const bool vec = cols % 4 == 0 && x_stride % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  return check(rt::launch_overlapped(vec ? argmax_kernel<true> : argmax_kernel<false>, static_cast<unsigned>(rows),
                                     kThreads, stream, x, x_stride, static_cast<int>(cols), ids),
               "argmax_kernel");
}

void GpuBackend::argmax(const Tensor& x, int32_t* ids) {
  if (!begin_op()) return;
  record(launch_argmax(cf32(x), floats(x), x.rows, x.cols, ids, stream_));
  written(ids, static_cast<size_t>(x.rows) * sizeof(int32_t));
}

}  // namespace rocmforge::backend::gpu
