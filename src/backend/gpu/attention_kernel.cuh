// The attention kernels behind launch_attention_d (included by the
// attention_d<kMaxD>.cu instance files only). See attention.cuh.
//
// attention_kernel (every cache type) takes one key per warp at a time: lane
// l holds dims [l * kPer, (l + 1) * kPer) of the query, key, value and
// accumulator rows, kPer = kMaxD / kWarpSize, so each lane reads its slice
// of a K or V row with one vector load (Q8_0: pairs of quants and the
// block's scale, kv_elem.cuh).
//
// attention_f16_kernel (F16 K and V) takes tiles of kWarpSize keys per warp,
// so that a warp keeps many loads in flight and pays its reductions once per
// tile instead of once per key: for Q.K lane l owns key j0 + l and reads its
// whole K row against the block's queries in shared memory; for P.V lanes
// own value dims as above and walk the tile's keys.
#pragma once

#include <cmath>

#include "backend/gpu/attention.cuh"
#include "backend/gpu/check.cuh"
#include "backend/gpu/device_error.cuh"
#include "backend/gpu/kv_elem.cuh"

namespace rocmforge::backend::gpu {
namespace detail {

inline constexpr int kAttnWarps = kAttnThreads / kWarpSize;

// One lane's slice of each query head as the CPU's dot for the K type reads
// it: F16- or BF16-rounded, or Q8_0-rounded over groups of min(32, head_dim) dims
// (each head's own group when heads are smaller than a block). Every lane
// calls it; `group_lanes` lanes hold one group.
template <KvElem kK, int kHeads, int kPer>
__device__ __forceinline__ void query_as_read(float (&q)[kHeads][kPer], int group_lanes) {
#pragma unroll
  for (int g = 0; g < kHeads; ++g) {
    if constexpr (kK == KvElem::kF16) {
#pragma unroll
      for (int i = 0; i < kPer; ++i) q[g][i] = f16_to_f32(f32_to_f16(q[g][i]));
    } else if constexpr (kK == KvElem::kBF16) {
#pragma unroll
      for (int i = 0; i < kPer; ++i) q[g][i] = bf16_to_f32(f32_to_bf16(q[g][i]));
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

// What a block of the grid takes: token t, KV head kvh, query heads
// [h0, h0 + nh), keys [k_begin, k_end) of its split.
struct AttnBlock {
  int t;
  int kvh;
  int h0;
  int nh;
  int64_t k_begin;
  int64_t k_end;
  const int32_t* table;  // the token's sequence's block table
};

__device__ __forceinline__ AttnBlock attn_block(const AttentionArgs& a) {
  AttnBlock b;
  b.t = blockIdx.z;
  b.kvh = blockIdx.y / a.head_groups;
  const int gqa = a.n_head / a.n_head_kv;
  b.h0 = b.kvh * gqa + (blockIdx.y % a.head_groups) * kAttnHeads;
  b.nh = min(kAttnHeads, b.kvh * gqa + gqa - b.h0);
  const KeyRange keys = split_key_range(a, a.positions[b.t], blockIdx.x);
  b.k_begin = keys.begin;
  b.k_end = keys.end;
  b.table = a.block_tables + static_cast<int64_t>(a.token_seq[b.t]) * a.max_blocks;
  return b;
}

// Key j's slot in the pool, or -1 (and the error raised) when its block
// table entry lies outside the pool.
__device__ __forceinline__ int64_t key_slot(const AttentionArgs& a, const int32_t* table, int64_t j) {
  const auto jj = static_cast<int32_t>(j);  // a position: int32 by the batch's contract
  const int32_t blk = table[jj / a.block_size];
  if (blk < 0 || blk >= a.n_blocks) {
    raise_device_error(a.error_flag, DeviceError::kBlockOutOfRange);
    return -1;
  }
  return static_cast<int64_t>(blk) * a.block_size + jj % a.block_size;
}

// Each warp's online softmax state (max, sum, value accumulator per head).
template <int kMaxD>
using WarpPartials = BlockPartials<kAttnWarps, kAttnHeads, kMaxD>;

// Merges the block's warps (m and s uniform over each warp, lane l holding
// acc dims [l * kPer, (l + 1) * kPer)) and writes the block's result: the
// normalised rows with one split, else the split's partial sums.
template <int kMaxD, int kPer>
__device__ __forceinline__ void store_block_result(const AttentionArgs& a, const AttnBlock& b,
                                                   WarpPartials<kMaxD>& sm, const float (&m)[kAttnHeads],
                                                   const float (&s)[kAttnHeads],
                                                   const float (&acc)[kAttnHeads][kPer]) {
  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) {
#pragma unroll
    for (int i = 0; i < kPer; ++i) sm.acc[warp][g][lane * kPer + i] = acc[g][i];
    if (lane == 0) {
      sm.m[warp][g] = m[g];
      sm.s[warp][g] = s[g];
    }
  }
  __syncthreads();
  store_block_partials<kAttnThreads>(a, sm, b.t, b.h0, b.nh);
}

// One key's softmax weight for each head of the block (16 bytes: one shared load).
struct alignas(16) HeadWeights {
  float p[kAttnHeads];
};

// kN consecutive halves of an F16 row as loaded (one load of 2 to 16
// bytes): converted where used, so that raw halves, not floats, wait in
// registers for the load.
template <int kN>
struct F16Slice {
  uint32_t w[(kN + 1) / 2] = {};
  __device__ __forceinline__ float get(int i) const {
    return f16_to_f32(static_cast<uint16_t>(i % 2 == 0 ? w[i / 2] & 0xFFFFu : w[i / 2] >> 16));
  }
};

// Elements [e, e + kN) of an F16 row; e a multiple of kN.
template <int kN>
__device__ __forceinline__ F16Slice<kN> load_f16_slice(const uint8_t* row, int64_t e) {
  const auto* h = reinterpret_cast<const uint16_t*>(row) + e;
  F16Slice<kN> r;
  if constexpr (kN == 8) {
    const uint4 x = *reinterpret_cast<const uint4*>(h);
    r.w[0] = x.x;
    r.w[1] = x.y;
    r.w[2] = x.z;
    r.w[3] = x.w;
  } else if constexpr (kN == 4) {
    const uint2 x = *reinterpret_cast<const uint2*>(h);
    r.w[0] = x.x;
    r.w[1] = x.y;
  } else if constexpr (kN == 2) {
    r.w[0] = *reinterpret_cast<const uint32_t*>(h);
  } else {
    static_assert(kN == 1, "an F16 slice is 1, 2, 4 or 8 halves");
    r.w[0] = h[0];
  }
  return r;
}

// Whether attention_f16_kernel skips the FMAs of a block's heads past nh
// (MHA, GQA 2: nh < kAttnHeads). At 256 dims the branches cost registers
// (152 against 112 on sm_90: 3 blocks per SM against 4), and summing zeros
// there is faster.
template <int kMaxD>
inline constexpr bool kSkipIdleHeads = kMaxD <= 128;

// A lane's scores of its key against the queries in `q` (a row of kMaxD
// floats per head, zero past head_dim and past the block's nh heads), from
// its K row `row` (head_dim a multiple of 8). The row is read in chunks of
// up to 128 dims, every 16-byte load of a chunk issued before the first
// use. Loads past head_dim re-read the row's first dims (they meet zero
// queries), so that every load is unconditional: no branch per load on AMD.
template <int kMaxD>
__device__ __forceinline__ void f16_key_dots(const uint4* row, int head_dim, int nh,
                                             const float (&q)[kAttnHeads][kMaxD], float (&dot)[kAttnHeads]) {
  constexpr int kChunk = kMaxD < 128 ? kMaxD : 128;
  constexpr int kVecs = kChunk / 8;  // 8 halves a load
  const int n_vecs = head_dim / 8;
  float part[kAttnHeads][2] = {};  // two sums per head: shorter dependency chains
#pragma unroll
  for (int c = 0; c < kMaxD; c += kChunk) {
    if (c >= head_dim) continue;  // a second chunk past the head (K heads narrower than V's)
    uint4 k[kVecs];
#pragma unroll
    for (int v = 0; v < kVecs; ++v) k[v] = row[c / 8 + v < n_vecs ? c / 8 + v : 0];
#pragma unroll
    for (int v = 0; v < kVecs; ++v) {
      const uint32_t w[4] = {k[v].x, k[v].y, k[v].z, k[v].w};
      float kf[8];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
        kf[2 * i] = f16_to_f32(static_cast<uint16_t>(w[i] & 0xFFFFu));
        kf[2 * i + 1] = f16_to_f32(static_cast<uint16_t>(w[i] >> 16));
      }
#pragma unroll
      for (int g = 0; g < kAttnHeads; ++g) {
        if (kSkipIdleHeads<kMaxD> && g >= nh) continue;
        const float4 qa = *reinterpret_cast<const float4*>(&q[g][c + 8 * v]);
        const float4 qb = *reinterpret_cast<const float4*>(&q[g][c + 8 * v + 4]);
        part[g][0] += qa.x * kf[0];
        part[g][0] += qa.y * kf[1];
        part[g][0] += qa.z * kf[2];
        part[g][0] += qa.w * kf[3];
        part[g][1] += qb.x * kf[4];
        part[g][1] += qb.y * kf[5];
        part[g][1] += qb.z * kf[6];
        part[g][1] += qb.w * kf[7];
      }
    }
  }
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) dot[g] = part[g][0] + part[g][1];
}

}  // namespace detail

// grid: (n_splits, n_head_kv * head_groups, n_tokens); block: kAttnThreads.
template <int kMaxD, KvElem kK, KvElem kV>
__global__ void __launch_bounds__(kAttnThreads) attention_kernel(AttentionArgs a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  constexpr int kPer = kMaxD / kWarpSize;
  constexpr int kWarps = detail::kAttnWarps;
  static_assert(kPer >= 1, "head size below the warp size");
  __shared__ detail::WarpPartials<kMaxD> sm;

  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const detail::AttnBlock b = detail::attn_block(a);
  const int d0 = lane * kPer;
  const bool k_lane = d0 < a.head_dim;
  const bool v_lane = d0 < a.head_dim_v;

  float qr[kAttnHeads][kPer];
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) {
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      float v = 0.0f;
      if (g < b.nh && k_lane) v = a.q[b.t * a.q_stride + (b.h0 + g) * a.head_dim + d0 + i];
      qr[g][i] = v;
    }
  }
  detail::query_as_read<kK>(qr, min(kKvQ8Block, a.head_dim) / kPer);

  const int64_t k_first = static_cast<int64_t>(b.kvh) * a.head_dim + d0;  // this lane's first element of a row
  const int64_t v_first = static_cast<int64_t>(b.kvh) * a.head_dim_v + d0;

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

  for (int64_t j = b.k_begin + warp; j < b.k_end; j += kWarps) {
    const int64_t slot = detail::key_slot(a, b.table, j);
    if (slot < 0) continue;
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
  detail::store_block_result<kMaxD>(a, b, sm, m, s, acc);
}

// F16 K and V caches, head_dim a multiple of 8 (16-byte K loads). The block
// walks its keys in rounds of kAttnThreads keys, warp w taking the round's
// w-th tile of kWarpSize; the tile's weights and slots pass from the lanes
// that own the keys to the lanes that own value dims through shared memory,
// double-buffered, so one barrier per round suffices. A key past the split
// or with a bad block reads slot 0's rows instead (the pool is not empty),
// unconditional loads again, and weighs nothing: score -inf, value zeroed
// (slot 0 may hold anything, and 0 * inf is NaN).
template <int kMaxD>
__global__ void __launch_bounds__(kAttnThreads) attention_f16_kernel(AttentionArgs a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  constexpr int kPer = kMaxD / kWarpSize;
  constexpr int kWarps = detail::kAttnWarps;
  constexpr int kUnroll = 128 / kPer < 32 ? 128 / kPer : 32;  // V slices in flight: up to 64 registers
  static_assert(kPer >= 1 && kMaxD % 8 == 0, "heads of at least a warp's lanes, in whole 16-byte loads");
  alignas(16) __shared__ float sm_q[kAttnHeads][kMaxD];
  __shared__ detail::HeadWeights sm_p[2][kWarps][kWarpSize];
  __shared__ int32_t sm_slot[2][kWarps][kWarpSize];  // f16_tiles_fit: slots fit int32
  __shared__ detail::WarpPartials<kMaxD> sm;

  const int lane = threadIdx.x % kWarpSize;
  const int warp = threadIdx.x / kWarpSize;
  const detail::AttnBlock b = detail::attn_block(a);

  // The queries rounded to F16, as the CPU's F16 dot reads them (query_as_read).
  for (int idx = threadIdx.x; idx < kAttnHeads * kMaxD; idx += kAttnThreads) {
    const int g = idx / kMaxD;
    const int d = idx % kMaxD;
    float v = 0.0f;
    if (g < b.nh && d < a.head_dim) v = f16_to_f32(f32_to_f16(a.q[b.t * a.q_stride + (b.h0 + g) * a.head_dim + d]));
    sm_q[g][d] = v;
  }
  __syncthreads();

  const auto* k_base = static_cast<const uint8_t*>(a.k_cache) + static_cast<int64_t>(b.kvh) * a.head_dim * 2;
  const auto* v_base = static_cast<const uint8_t*>(a.v_cache);
  // A lane past head_dim_v reads the head's first dims: its sums are never stored.
  const int d0 = lane * kPer < a.head_dim_v ? lane * kPer : 0;
  const int64_t v_first = static_cast<int64_t>(b.kvh) * a.head_dim_v + d0;

  float m[kAttnHeads];
  float s[kAttnHeads];  // this lane's share of the sum; summed over the warp at the end
  float acc[kAttnHeads][kPer];
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) {
    m[g] = -INFINITY;
    s[g] = 0.0f;
#pragma unroll
    for (int i = 0; i < kPer; ++i) acc[g][i] = 0.0f;
  }

  int buf = 0;
  for (int64_t r0 = b.k_begin; r0 < b.k_end; r0 += kAttnThreads, buf ^= 1) {
    const int64_t j0 = r0 + static_cast<int64_t>(warp) * kWarpSize;
    const bool busy = j0 < b.k_end;  // uniform over the warp
    if (busy) {
      const int64_t j = j0 + lane;
      const int64_t slot = j < b.k_end ? detail::key_slot(a, b.table, j) : -1;
      float score[kAttnHeads];
      const auto* k_row = reinterpret_cast<const uint4*>(k_base + max(slot, static_cast<int64_t>(0)) * a.k_row_bytes);
      detail::f16_key_dots<kMaxD>(k_row, a.head_dim, b.nh, sm_q, score);
      detail::HeadWeights w = {};
#pragma unroll
      for (int g = 0; g < kAttnHeads; ++g) {
        if (g < b.nh) {
          score[g] *= a.scale;
          if (a.softcap != 0.0f) score[g] = a.softcap * tanhf(score[g]);
          if (slot < 0) score[g] = -INFINITY;
          // One rescale per tile; a max still at -inf (no key yet) has nothing to rescale.
          const float m_new = fmaxf(m[g], warp_max(score[g]));
          const float alpha = m[g] == -INFINITY ? 0.0f : expf(m[g] - m_new);
          w.p[g] = slot < 0 ? 0.0f : expf(score[g] - m_new);
          m[g] = m_new;
          s[g] = s[g] * alpha + w.p[g];
#pragma unroll
          for (int i = 0; i < kPer; ++i) acc[g][i] *= alpha;
        }
      }
      sm_p[buf][warp][lane] = w;
      sm_slot[buf][warp][lane] = static_cast<int32_t>(slot);
    }
    __syncthreads();
    if (busy) {
#pragma unroll 1
      for (int k0 = 0; k0 < kWarpSize; k0 += kUnroll) {
        detail::F16Slice<kPer> vr[kUnroll];
        bool live[kUnroll];
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
          const int32_t slot = sm_slot[buf][warp][k0 + u];
          live[u] = slot >= 0;
          vr[u] = detail::load_f16_slice<kPer>(v_base + static_cast<int64_t>(max(slot, 0)) * a.v_row_bytes, v_first);
        }
#pragma unroll
        for (int u = 0; u < kUnroll; ++u) {
          const detail::HeadWeights w = sm_p[buf][warp][k0 + u];
#pragma unroll
          for (int i = 0; i < kPer; ++i) {
            const float v = live[u] ? vr[u].get(i) : 0.0f;
#pragma unroll
            for (int g = 0; g < kAttnHeads; ++g) {
              if (detail::kSkipIdleHeads<kMaxD> && g >= b.nh) continue;
              acc[g][i] += w.p[g] * v;
            }
          }
        }
      }
    }
  }
#pragma unroll
  for (int g = 0; g < kAttnHeads; ++g) s[g] = warp_sum(s[g]);
  detail::store_block_result<kMaxD>(a, b, sm, m, s, acc);
}

// Whether attention_f16_kernel can read these F16 caches: whole 16-byte K
// loads, a slot 0 to stand in for masked keys, slots that fit 32 bits.
inline bool f16_tiles_fit(const AttentionArgs& a) {
  return a.head_dim % 8 == 0 && a.k_row_bytes % 16 == 0 && reinterpret_cast<uintptr_t>(a.k_cache) % 16 == 0 &&
         a.n_blocks > 0 && a.n_blocks * a.block_size <= INT32_MAX;
}

template <int kMaxD>
Status launch_attention_d(const AttentionArgs& args, KvTypes cache_types, rt::Stream stream) {
  const dim3 grid(static_cast<unsigned>(args.n_splits),
                  static_cast<unsigned>(args.n_head_kv * args.head_groups), static_cast<unsigned>(args.n_tokens));
  return with_kv_elems(cache_types, [&]<KvElem kK, KvElem kV>() {
    if constexpr (kK == KvElem::kF16 && kV == KvElem::kF16) {
      if (f16_tiles_fit(args)) {
        return check(rt::launch_overlapped(attention_f16_kernel<kMaxD>, grid, kAttnThreads, stream, args),
                     "attention_f16_kernel");
      }
    }
    return check(rt::launch_overlapped(attention_kernel<kMaxD, kK, kV>, grid, kAttnThreads, stream, args),
                 "attention_kernel");
  });
}

}  // namespace rocmforge::backend::gpu
