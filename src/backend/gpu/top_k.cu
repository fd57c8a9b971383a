#include "backend/gpu/top_k.cuh"

#include <climits>

#include "backend/gpu/check.cuh"
#include "backend/gpu/gpu_backend_impl.cuh"
#include "backend/gpu/tensor_views.cuh"

namespace rocmforge::backend::gpu {
namespace {

// One block per row, as the argmax: a sampling step has one row per sequence.
//
// The k-th best value is found by radix selection over an order-preserving
// 32-bit key, one byte per pass from the top (four passes over the row, each a
// 256-bin histogram of the columns that share the bytes found so far). Then
// one pass gathers the columns above that key, and as many columns equal to it
// as are still needed, lowest columns first (a block-wide scan per chunk of
// columns keeps them in column order). The k gathered are ranked by a bitonic
// sort in shared memory. Exact for any row: ties, NaN and signed zeros
// included, whatever the number of threads.
constexpr int kThreads = 1024;
constexpr int kWarps = kThreads / kWarpSize;
constexpr int kBins = 256;
static_assert(kThreads >= kBins, "one thread per bin in the bin search");
static_assert(kMaxTopK <= kThreads, "one thread per candidate in the bitonic sort's steps");

__device__ __forceinline__ float rank_value(float v) { return isnan(v) ? -INFINITY : v; }

// Larger keys for larger values; NaN is -inf, and -0 is +0, so equal keys are equal values.
__device__ __forceinline__ uint32_t order_key(float v) {
  const uint32_t bits = v == 0.0f ? 0u : __float_as_uint(rank_value(v));
  return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}

__device__ __forceinline__ float key_value(uint32_t key) {
  return __uint_as_float((key & 0x80000000u) != 0 ? key & 0x7FFFFFFFu : ~key);
}

// engine::ranks_before.
__device__ __forceinline__ bool ranks_before(float a, int a_id, float b, int b_id) {
  return a > b || (a == b && a_id < b_id);
}

// f(value) for every column of the row, by the block. kVec: rows of whole, 16-byte aligned float4.
template <bool kVec, class F>
__device__ __forceinline__ void for_each_value(const float* row, int cols, F&& f) {
  if constexpr (kVec) {
    const auto* row4 = reinterpret_cast<const float4*>(row);
#pragma unroll 4
    for (int j = threadIdx.x; j < cols / 4; j += kThreads) {
      const float4 v = row4[j];
      f(v.x);
      f(v.y);
      f(v.z);
      f(v.w);
    }
  } else {
    for (int j = threadIdx.x; j < cols; j += kThreads) f(row[j]);
  }
}

// The largest key of the block; every thread gets it.
__device__ uint32_t block_max(uint32_t key, uint32_t* warp_keys) {
  for (int mask = kWarpSize / 2; mask > 0; mask >>= 1) {
    key = max(key, static_cast<uint32_t>(shfl_xor(static_cast<int>(key), mask)));
  }
  if (threadIdx.x % kWarpSize == 0) warp_keys[threadIdx.x / kWarpSize] = key;
  __syncthreads();
  uint32_t best = 0;
  for (int w = 0; w < kWarps; ++w) best = max(best, warp_keys[w]);
  return best;
}

// Radix selection: the key of the k-th best column. `need` becomes how many
// columns with exactly that key belong to the k best. `max_value` (the row's
// largest value) and `sum` (this thread's share of the normaliser) are taken
// on the way.
template <bool kVec>
__device__ uint32_t select_kth_key(const float* row, int cols, uint32_t& need, float& max_value, double& sum) {
  __shared__ uint32_t bins[kBins];
  __shared__ uint32_t warp_keys[kWarps];
  __shared__ uint32_t chosen_bin;
  __shared__ uint32_t count_above;
  uint32_t prefix = 0;
  uint32_t mask = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    for (int b = static_cast<int>(threadIdx.x); b < kBins; b += kThreads) bins[b] = 0;
    __syncthreads();
    uint32_t max_key = 0;
    for_each_value<kVec>(row, cols, [&](float v) {
      const uint32_t key = order_key(v);
      max_key = max(max_key, key);
      if ((key & mask) == prefix) atomicAdd(&bins[(key >> shift) & 0xFFu], 1u);
      // The second pass knows the maximum: it sums the normaliser too.
      if (shift == 16) sum += static_cast<double>(expf(rank_value(v) - max_value));
    });
    if (shift == 24) max_value = key_value(block_max(max_key, warp_keys));  // its barrier also ends the pass
    __syncthreads();
    // bins[b] becomes the count of candidates in bins b..255.
    for (int offset = 1; offset < kBins; offset <<= 1) {
      const uint32_t add = threadIdx.x + offset < kBins ? bins[threadIdx.x + offset] : 0u;
      __syncthreads();
      if (threadIdx.x < kBins) bins[threadIdx.x] += add;
      __syncthreads();
    }
    if (threadIdx.x < kBins) {
      const uint32_t above = threadIdx.x + 1 < kBins ? bins[threadIdx.x + 1] : 0u;
      if (above < need && need <= bins[threadIdx.x]) {
        chosen_bin = threadIdx.x;
        count_above = above;
      }
    }
    __syncthreads();
    prefix |= chosen_bin << shift;
    mask |= 0xFFu << shift;
    need -= count_above;
  }
  return prefix;
}

// Gathers the k best, unordered: those above `threshold` anywhere in
// [0, n_greater), the first `need` equal to it, in column order, after them.
__device__ void gather_best(const float* row, int cols, uint32_t threshold, int n_greater, uint32_t need,
                            float* best_values, int* best_ids) {
  __shared__ int n_placed;
  __shared__ int warp_counts[kWarps];
  if (threadIdx.x == 0) n_placed = 0;
  __syncthreads();
  const int lane = static_cast<int>(threadIdx.x) % kWarpSize;
  const int warp = static_cast<int>(threadIdx.x) / kWarpSize;
  uint32_t ties_taken = 0;  // the same in every thread
  for (int base = 0; base < cols; base += kThreads) {
    const int j = base + static_cast<int>(threadIdx.x);
    const float v = j < cols ? row[j] : 0.0f;
    const uint32_t key = j < cols ? order_key(v) : 0u;
    if (j < cols && key > threshold) {
      const int slot = atomicAdd(&n_placed, 1);
      best_values[slot] = rank_value(v);
      best_ids[slot] = j;
    }
    if (ties_taken >= need) continue;
    const bool tie = j < cols && key == threshold;
    if (__syncthreads_count(tie) == 0) continue;
    const uint64_t votes = ballot(tie);
    if (lane == 0) warp_counts[warp] = __popcll(votes);
    __syncthreads();
    uint32_t before = 0;
    uint32_t total = 0;
    for (int w = 0; w < kWarps; ++w) {
      before += w < warp ? warp_counts[w] : 0;
      total += warp_counts[w];
    }
    before += __popcll(votes & ((uint64_t{1} << lane) - 1));
    if (tie && ties_taken + before < need) {
      best_values[n_greater + static_cast<int>(ties_taken + before)] = rank_value(v);
      best_ids[n_greater + static_cast<int>(ties_taken + before)] = j;
    }
    ties_taken += total;
    __syncthreads();  // warp_counts is rewritten by the next chunk
  }
  __syncthreads();
}

// Ranks best[0, k) in place, best first; entries past k up to a power of two are padding.
__device__ void rank_best(int k, float* best_values, int* best_ids) {
  int n = 1;
  while (n < k) n <<= 1;
  for (int i = k + static_cast<int>(threadIdx.x); i < n; i += kThreads) {
    best_values[i] = -INFINITY;
    best_ids[i] = INT_MAX;
  }
  for (int size = 2; size <= n; size <<= 1) {
    for (int stride = size >> 1; stride > 0; stride >>= 1) {
      __syncthreads();
      const int i = static_cast<int>(threadIdx.x);
      const int partner = i ^ stride;
      if (i < n && partner > i) {
        const bool best_first = (i & size) == 0;
        if (ranks_before(best_values[partner], best_ids[partner], best_values[i], best_ids[i]) == best_first) {
          const float v = best_values[i];
          const int id = best_ids[i];
          best_values[i] = best_values[partner];
          best_ids[i] = best_ids[partner];
          best_values[partner] = v;
          best_ids[partner] = id;
        }
      }
    }
  }
  __syncthreads();
}

template <bool kVec>
__global__ void __launch_bounds__(kThreads)
    top_k_kernel(const float* __restrict__ x, int64_t x_stride,  // [rows, cols]
                 int cols, int k,
                 float* __restrict__ values,  // [rows, k]
                 int32_t* __restrict__ ids,   // [rows, k]
                 float* __restrict__ sums) {  // [rows]
  wait_for_previous_kernel();
  allow_next_kernel();
  __shared__ float best_values[kMaxTopK];
  __shared__ int best_ids[kMaxTopK];
  __shared__ double warp_sums[kWarps];
  const float* row = x + static_cast<int64_t>(blockIdx.x) * x_stride;

  uint32_t need = static_cast<uint32_t>(k);
  float max_value = 0.0f;
  double sum = 0.0;
  const uint32_t threshold = select_kth_key<kVec>(row, cols, need, max_value, sum);
  gather_best(row, cols, threshold, k - static_cast<int>(need), need, best_values, best_ids);
  rank_best(k, best_values, best_ids);
  for (int i = static_cast<int>(threadIdx.x); i < k; i += kThreads) {
    values[static_cast<int64_t>(blockIdx.x) * k + i] = best_values[i];
    ids[static_cast<int64_t>(blockIdx.x) * k + i] = best_ids[i];
  }

  sum = warp_sum(sum);
  if (threadIdx.x % kWarpSize == 0) warp_sums[threadIdx.x / kWarpSize] = sum;
  __syncthreads();
  if (threadIdx.x != 0) return;
  double total = 0.0;
  for (int w = 0; w < kWarps; ++w) total += warp_sums[w];
  sums[blockIdx.x] = static_cast<float>(total);
}

}  // namespace

Status launch_top_k(const float* x, int64_t x_stride, int64_t rows, int64_t cols, int64_t k, float* values,
                    int32_t* ids, float* sums, rt::Stream stream) {
  if (rows == 0) return ok();
  // Columns and loop counters are int.
  if (cols <= 0 || cols > INT_MAX - kThreads || rows > INT_MAX || k < 1 || k > cols || k > kMaxTopK) {
    return RF_ERROR(kInternal, "top-{} over {} rows of {} columns", k, rows, cols);
  }
  const bool vec = cols % 4 == 0 && x_stride % 4 == 0 && reinterpret_cast<uintptr_t>(x) % 16 == 0;
  return check(rt::launch_overlapped(vec ? top_k_kernel<true> : top_k_kernel<false>, static_cast<unsigned>(rows),
                                     kThreads, stream, x, x_stride, static_cast<int>(cols), static_cast<int>(k),
                                     values, ids, sums),
               "top_k_kernel");
}

void GpuBackend::top_k(const Tensor& x, int64_t k, float* values, int32_t* ids, float* sums) {
  if (!begin_op()) return;
  record(launch_top_k(cf32(x), floats(x), x.rows, x.cols, k, values, ids, sums, stream_));
  const auto n = static_cast<size_t>(x.rows);
  written(values, n * static_cast<size_t>(k) * sizeof(float));
  written(ids, n * static_cast<size_t>(k) * sizeof(int32_t));
  written(sums, n * sizeof(float));
}

}  // namespace rocmforge::backend::gpu
