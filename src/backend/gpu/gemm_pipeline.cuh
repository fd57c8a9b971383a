// The k-step loop the quantised GEMMs share (gemm_q8_kernel.cuh,
// gemm_a16_kernel.cuh): kStages shared-memory stages of kStage bytes, step
// kt_begin + s in stage s % kStages, every step's copies queued by cp.async
// kStages - 1 steps ahead of its arithmetic.
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"

namespace rocmforge::backend::gpu {

// copy(stage, kt) queues step kt's copies into `stage`; compute(stage, kt)
// reads them there once they are in. Every thread of the block calls it.
template <int kStages, int kStage, class Copy, class Compute>
__device__ __forceinline__ void run_k_steps(uint8_t* smem, int64_t kt_begin, int64_t kt_end, Copy&& copy,
                                            Compute&& compute) {
#pragma unroll
  for (int s = 0; s < kStages - 1; ++s) {
    if (kt_begin + s < kt_end) copy(smem + s * kStage, kt_begin + s);
    cp_async_commit();
  }
  int read = 0;
  int write = kStages - 1;
  for (int64_t kt = kt_begin; kt < kt_end; ++kt) {
    cp_async_wait<kStages - 2>();
    __syncthreads();  // step kt is in; the stage that step kt - 1 used is free
    if (kt + kStages - 1 < kt_end) copy(smem + write * kStage, kt + kStages - 1);
    cp_async_commit();
    compute(smem + read * kStage, kt);
    read = read + 1 == kStages ? 0 : read + 1;
    write = write + 1 == kStages ? 0 : write + 1;
  }
}

}  // namespace rocmforge::backend::gpu
