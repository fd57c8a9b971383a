// The attention kernels behind launch_attention_d (included by the
// attention_d<kMaxD>.cu instance files only). See attention.cuh.
//
// Lane l of a warp holds dims [l * kPer, (l + 1) * kPer) of the query, key,
// value and accumulator rows, kPer = kMaxD / kWarpSize, so each lane reads
// its slice of a K or V row with one vector load (Q8_0: pairs of quants and
// the block's scale, kv_elem.cuh).
#pragma once

#include <cmath>

#include "backend/gpu/attention.cuh"
#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kv_elem.cuh"

namespace rocmforge::backend::gpu {
namespace detail {

// One lane's slice of each query head as the CPU's dot for the K type reads
// it: F16-rounded, or Q8_0-rounded over groups of min(32, head_dim) dims
// (each head's own group when heads are smaller than a block). Every lane
// calls it; `group_lanes` lanes hold one group.
template <KvElem kK, int kHeads, int kPer>
__device__ __forceinline__ void query_as_read(float (&q)[kHeads][kPer], int group_lanes) {
#pragma unroll
  for (int g = 0; g < kHeads; ++g) {
    if constexpr (kK == KvElem::kF16) {
#pragma unroll
      for (int i = 0; i < kPer; ++i) q[g][i] = f16_to_f32(f32_to_f16(q[g][i]));
    } else if constexpr (kK == KvElem::kQ8_0) {
      float amax = 0.0f;
#pragma unroll
      for (int i = 0; i < kPer; ++i) amax = fmaxf(amax, fabsf(q[g][i]));
      float d = 0.0f;
      const float id = q8_0_scale(amax, group_lanes, d);
      const float d16 = f16_to_f32(f32_to_f16(d));
#pragma unroll
      for (int i = 0; i < kPer; ++i) q[g][i] = static_cast<float>(__float2int_rn(q[g][i] * id)) * d16;
    }
  }
}

}  // namespace detail

// grid: (n_splits, n_head_kv * head_groups, n_tokens); block: kAttnThreads.
template <int kMaxD, KvElem kK, KvElem kV>
__global__ void __launch_bounds__(kAttnThreads) attention_kernel(AttentionArgs a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  constexpr int kPer = kMaxD / kWarpSize;
  constexpr int kWarps = kAttnThreads / kWarpSize;
  static_assert(kPer >= 1, "head size below the warp size");
  __shared__ float sm_acc[kWarps][kAttnHeads][kMaxD];
  __shared__ float sm_m[kWarps][kAttnHeads];
  __shared__ float sm_s[kWarps][kAttnHeads];

  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const int t = blockIdx.z;
  const int kvh = blockIdx.y / a.head_groups;
  const int gqa = a.n_head / a.n_head_kv;
  const int h0 = kvh * gqa + (blockIdx.y % a.head_groups) * kAttnHeads;
  const int nh = min(kAttnHeads, kvh * gqa + gqa - h0);
  const int d0 = lane * kPer;
  const bool k_lane = d0 < a.head_dim;
  const bool v_lane = d0 < a.head_dim_v;

  float qr[kAttnHeads][kPer];
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) {
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      float v = 0.0f;
      if (g < nh && k_lane) v = a.q[t * a.q_stride + (h0 + g) * a.head_dim + d0 + i];
      qr[g][i] = v;
    }
  }
  detail::query_as_read<kK>(qr, min(kKvQ8Block, a.head_dim) / kPer);

  const int64_t n_keys = static_cast<int64_t>(a.positions[t]) + 1;
  const int64_t first = a.window > 0 ? max(static_cast<int64_t>(0), n_keys - a.window) : 0;
  const int64_t k_begin = max(first, static_cast<int64_t>(blockIdx.x) * a.keys_per_split);
  const int64_t k_end = min(n_keys, static_cast<int64_t>(blockIdx.x + 1) * a.keys_per_split);
  const int32_t* table = a.block_tables + static_cast<int64_t>(a.token_seq[t]) * a.max_blocks;
  const int64_t k_first = static_cast<int64_t>(kvh) * a.head_dim + d0;  // this lane's first element of a row
  const int64_t v_first = static_cast<int64_t>(kvh) * a.head_dim_v + d0;

  float m[kAttnHeads];
  float s[kAttnHeads];
  float acc[kAttnHeads][kPer];
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) {
    m[g] = -INFINITY;
    s[g] = 0.0f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) acc[g][i] = 0.0f;
  }

  for (int64_t j = k_begin + warp; j < k_end; j += kWarps) {
    const int32_t blk = table[j / a.block_size];
    if (blk < 0 || blk >= a.n_blocks) {
      if (lane == 0) raise_device_error(a.error_flag, DeviceError::kBlockOutOfRange);
      continue;
    }
    const int64_t slot = static_cast<int64_t>(blk) * a.block_size + j % a.block_size;
    float kr[kPer] = {};
    float vr[kPer] = {};
    if (k_lane) load_kv<kPer, kK>(static_cast<const uint8_t*>(a.k_cache) + slot * a.k_row_bytes, k_first, kr);
    if (v_lane) load_kv<kPer, kV>(static_cast<const uint8_t*>(a.v_cache) + slot * a.v_row_bytes, v_first, vr);
#pragma unroll
    for (int g = 0; g < kAttnHeads; ++g) {
      float dot = 0.0f;
#pragma unroll
      for (int i = 0; i < kPer; ++i) dot += qr[g][i] * kr[i];
      float score = warp_sum(dot) * a.scale;
      if (a.softcap != 0.0f) score = a.softcap * tanhf(score);
      float ms = 1.0f;
      float vs = 1.0f;
      if (score > m[g]) {
        ms = expf(m[g] - score);
        m[g] = score;
      } else {
        vs = expf(score - m[g]);
      }
      s[g] = s[g] * ms + vs;
#pragma unroll
      for (int i = 0; i < kPer; ++i) acc[g][i] = acc[g][i] * ms + vr[i] * vs;
    }
  }

#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) {
#pragma unroll
    for (int i = 0; i < kPer; ++i) sm_acc[warp][g][d0 + i] = acc[g][i];
    if (lane == 0) {
      sm_m[warp][g] = m[g];
      sm_s[warp][g] = s[g];
    }
  }
  __syncthreads();

  for (int idx = threadIdx.x; idx < nh * a.head_dim_v; idx += kAttnThreads) {
    const int g = idx / a.head_dim_v;
    const int d = idx % a.head_dim_v;
    float big = -INFINITY;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) big = fmaxf(big, sm_m[w][g]);
    float sum = 0.0f;
    float value = 0.0f;
#pragma unroll
    for (int w = 0; w < kWarps; ++w) {
      const float f = sm_m[w][g] == -INFINITY ? 0.0f : expf(sm_m[w][g] - big);
      sum += sm_s[w][g] * f;
      value += sm_acc[w][g][d] * f;
    }
    const int h = h0 + g;
    if (a.n_splits == 1) {
      const float inv = sum == 0.0f ? 0.0f : 1.0f / sum;
      a.out[t * a.out_stride + static_cast<int64_t>(h) * a.head_dim_v + d] = value * inv;
    } else {
      const int64_t part = (static_cast<int64_t>(t) * a.n_head + h) * a.n_splits + blockIdx.x;
      a.part_acc[part * a.head_dim_v + d] = value;
      if (d == 0) a.part_ms[part] = make_float2(big, sum);
    }
  }
}

template <int kMaxD>
Status launch_attention_d(const AttentionArgs& args, KvTypes cache_types, rt::Stream stream) {
  const dim3 grid(static_cast<unsigned>(args.n_splits),
                  static_cast<unsigned>(args.n_head_kv * args.head_groups), static_cast<unsigned>(args.n_tokens));
  return with_kv_elems(cache_types, [&]<KvElem kK, KvElem kV>() {
    return check(rt::launch_overlapped(attention_kernel<kMaxD, kK, kV>, grid, kAttnThreads, stream, args),
                 "attention_kernel");
  });
}

}  // namespace rocmforge::backend::gpu
