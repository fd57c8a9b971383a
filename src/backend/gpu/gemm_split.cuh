// What the tensor-core GEMMs over joined parts and slices of K share
// (gemm_a16_kernel.cuh, gemm_q8_kernel.cuh): the weight a block's row tile
// belongs to, and a split tile's slices added by its last block to finish,
// so that no second launch sums them (gemm_a16_kernel's; gemm_q8_kernel
// writes the same steps out, for its register allocation).
#pragma once

#include <cstdint>

#include "backend/gpu/compat.cuh"
#include "backend/gpu/matmul.cuh"

namespace rocmforge::backend::gpu {

// One weight of a launch; its row tiles follow the previous part's in grid.y.
struct GemmPart {
  const uint8_t* w;  // [rows, w_stride]
  size_t w_stride;
  int64_t rows;
  float* out;  // [M, out_stride]
  int64_t out_stride;
  int64_t first_tile;  // grid.y index of its first row tile
};

// The index of the part blockIdx.y's row tile belongs to. (Callers take
// parts[index] by reference: a loop that copied the part would put the
// launch's arguments in local memory.)
__device__ __forceinline__ int gemm_part(const GemmPart (&parts)[kMaxMatvecParts], int n_parts) {
  int p = 0;
#pragma unroll
  for (int i = 1; i < kMaxMatvecParts; ++i) {
    if (i < n_parts && blockIdx.y >= parts[i].first_tile) p = i;
  }
  return p;
}

// A tile split in gridDim.z slices of K: each block stores its first `live`
// accumulators of 4 floats in their own layout (coalesced float4s, partial:
// [tiles, slices, kSliceTiles, kThreads]) and counts itself in; the last
// block to count adds every slice's back in slice order (the same bits
// whichever finished last) and leaves the counter zero for the next launch.
// Returns true in that block, with the sums in acc; the others must leave.
template <int kSliceTiles, int kThreads, int kN>
__device__ __forceinline__ bool sum_slices(float (&acc)[kN][4], int live, float4* partial, uint32_t* counters) {
  static_assert(kN <= kSliceTiles, "a slice holds every accumulator");
  __shared__ bool last;
  const int tid = static_cast<int>(threadIdx.x);
  const int64_t tile = static_cast<int64_t>(blockIdx.y) * gridDim.x + blockIdx.x;
  float4* parts = partial + tile * gridDim.z * kSliceTiles * kThreads + tid;
#pragma unroll
  for (int j = 0; j < kN; ++j) {
    if (j < live) {
      store_cg(parts + (blockIdx.z * kSliceTiles + j) * kThreads, make_float4(acc[j][0], acc[j][1], acc[j][2], acc[j][3]));
    }
  }
  __threadfence();  // the partial sums are visible before the count says so
  __syncthreads();
  if (tid == 0) last = atomicAdd(counters + tile, 1u) == gridDim.z - 1;
  __syncthreads();
  if (!last) return false;
  __threadfence();
  // kChunk slices at a time, so that about eight loads are in flight: a loop
  // of dependent loads cost a round trip to L2 each.
  constexpr int kChunk = kN >= 8 ? 1 : 8 / kN;
#pragma unroll
  for (int j = 0; j < kN; ++j) {
    if (j < live) {
      const float4 first = load_cg(parts + j * kThreads);
      acc[j][0] = first.x;
      acc[j][1] = first.y;
      acc[j][2] = first.z;
      acc[j][3] = first.w;
    }
  }
  for (unsigned s = 1; s < gridDim.z; s += kChunk) {
    float4 p[kChunk][kN];
#pragma unroll
    for (int u = 0; u < kChunk; ++u) {
#pragma unroll
      for (int j = 0; j < kN; ++j) {
        if (j < live && s + u < gridDim.z) p[u][j] = load_cg(parts + ((s + u) * kSliceTiles + j) * kThreads);
      }
    }
#pragma unroll
    for (int u = 0; u < kChunk; ++u) {
#pragma unroll
      for (int j = 0; j < kN; ++j) {
        if (j < live && s + u < gridDim.z) {
          acc[j][0] += p[u][j].x;
          acc[j][1] += p[u][j].y;
          acc[j][2] += p[u][j].z;
          acc[j][3] += p[u][j].w;
        }
      }
    }
  }
  if (tid == 0) counters[tile] = 0;
  return true;
}

}  // namespace rocmforge::backend::gpu
