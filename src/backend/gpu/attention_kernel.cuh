// The attention kernels behind launch_attention_d (included by the
// attention_d<kMaxD>.cu instance files only). See attention.cuh.
//
// Lane l of a warp holds dims [l * kPer, (l + 1) * kPer) of the query, key,
// value and accumulator rows, kPer = kMaxD / kWarpSize, so each lane reads
// its slice of a K or V row with one vector load.
#pragma once

#include <cmath>

#include "backend/gpu/attention.cuh"
#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"

namespace rocmforge::backend::gpu {
namespace detail {

// kN consecutive cache elements from `p` (F16 or F32) as floats, in one load.
template <int kN, bool kF16>
__device__ __forceinline__ void load_elems(const void* p, float (&v)[kN]) {
  if constexpr (kF16) {
    const auto* h = static_cast<const uint16_t*>(p);
    if constexpr (kN == 8) {
      const uint4 r = *reinterpret_cast<const uint4*>(h);
      const uint32_t w[4] = {r.x, r.y, r.z, r.w};
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        v[2 * i] = f16_to_f32(static_cast<uint16_t>(w[i] & 0xFFFFu));
        v[2 * i + 1] = f16_to_f32(static_cast<uint16_t>(w[i] >> 16));
      }
    } else if constexpr (kN == 4) {
      const uint2 r = *reinterpret_cast<const uint2*>(h);
      v[0] = f16_to_f32(static_cast<uint16_t>(r.x & 0xFFFFu));
      v[1] = f16_to_f32(static_cast<uint16_t>(r.x >> 16));
      v[2] = f16_to_f32(static_cast<uint16_t>(r.y & 0xFFFFu));
      v[3] = f16_to_f32(static_cast<uint16_t>(r.y >> 16));
    } else if constexpr (kN == 2) {
      const uint32_t r = *reinterpret_cast<const uint32_t*>(h);
      v[0] = f16_to_f32(static_cast<uint16_t>(r & 0xFFFFu));
      v[1] = f16_to_f32(static_cast<uint16_t>(r >> 16));
    } else {
      v[0] = f16_to_f32(h[0]);
    }
  } else {
    const auto* f = static_cast<const float*>(p);
    if constexpr (kN % 4 == 0) {
#pragma unroll
      for (int i = 0; i < kN / 4; ++i) {
        const float4 r = reinterpret_cast<const float4*>(f)[i];
        v[4 * i] = r.x;
        v[4 * i + 1] = r.y;
        v[4 * i + 2] = r.z;
        v[4 * i + 3] = r.w;
      }
    } else if constexpr (kN == 2) {
      const float2 r = *reinterpret_cast<const float2*>(f);
      v[0] = r.x;
      v[1] = r.y;
    } else {
      v[0] = f[0];
    }
  }
}

}  // namespace detail

// grid: (n_splits, n_head_kv * head_groups, n_tokens); block: kAttnThreads.
template <int kMaxD, bool kF16>
__global__ void __launch_bounds__(kAttnThreads) attention_kernel(AttentionArgs a) {
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
      qr[g][i] = kF16 ? f16_to_f32(f32_to_f16(v)) : v;
    }
  }

  const int64_t n_keys = static_cast<int64_t>(a.positions[t]) + 1;
  const int64_t first = a.window > 0 ? max(static_cast<int64_t>(0), n_keys - a.window) : 0;
  const int64_t k_begin = max(first, static_cast<int64_t>(blockIdx.x) * a.keys_per_split);
  const int64_t k_end = min(n_keys, static_cast<int64_t>(blockIdx.x + 1) * a.keys_per_split);
  const int32_t* table = a.block_tables + static_cast<int64_t>(a.token_seq[t]) * a.max_blocks;
  const int64_t k_row = static_cast<int64_t>(a.n_head_kv) * a.head_dim;
  const int64_t v_row = static_cast<int64_t>(a.n_head_kv) * a.head_dim_v;
  const size_t elem = kF16 ? 2 : 4;

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
    if (k_lane) {
      detail::load_elems<kPer, kF16>(static_cast<const uint8_t*>(a.k_cache) +
                                         (slot * k_row + static_cast<int64_t>(kvh) * a.head_dim + d0) * elem,
                                     kr);
    }
    if (v_lane) {
      detail::load_elems<kPer, kF16>(static_cast<const uint8_t*>(a.v_cache) +
                                         (slot * v_row + static_cast<int64_t>(kvh) * a.head_dim_v + d0) * elem,
                                     vr);
    }
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
Status launch_attention_d(const AttentionArgs& args, bool f16_cache, rt::Stream stream) {
  const dim3 grid(static_cast<unsigned>(args.n_splits),
                  static_cast<unsigned>(args.n_head_kv * args.head_groups), static_cast<unsigned>(args.n_tokens));
  if (f16_cache) {
    attention_kernel<kMaxD, true><<<grid, kAttnThreads, 0, stream>>>(args);
  } else {
    attention_kernel<kMaxD, false><<<grid, kAttnThreads, 0, stream>>>(args);
  }
  return check_launch("attention_kernel");
}

}  // namespace rocmforge::backend::gpu
