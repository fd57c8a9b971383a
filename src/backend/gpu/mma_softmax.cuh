// The online softmax of the tensor-core attention kernels (attention_mma.cu,
// attention_decode_mma.cu) over mma.m16n8k16 score accumulators: lane
// 4 g + tq holds, of each n-tile of 8 keys, keys 2 tq and 2 tq + 1 of row g
// (elements 0 and 1) and of row g + 8 (elements 2 and 3). Scores are kept in
// log2 units, so that a weight is one exp2.
#pragma once

#include <cmath>

#include "backend/gpu/attention.cuh"

namespace rocmforge::backend::gpu {

inline constexpr float kLog2e = 1.4426950408889634f;

// A Q.K dot as a score in log2 units: scaled and soft-capped as the CPU does.
__device__ __forceinline__ float log2_score(const AttentionArgs& a, float dot) {
  float v = dot * a.scale;
  if (a.softcap != 0.0f) v = a.softcap * tanhf(v);
  return v * kLog2e;
}

// Row half rr's scores in kNT n-tiles (log2 units, -inf for masked keys)
// become weights exp2(score - max), m and l the row's running max and sum of
// weights (the same in its four lanes); returns the factor by which the
// row's earlier sums shrink.
template <int kNT>
__device__ __forceinline__ float softmax_update(float (&s)[kNT][4], int rr, float& m, float& l) {
  float mx = -INFINITY;
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) mx = fmaxf(mx, fmaxf(s[nt][2 * rr], s[nt][2 * rr + 1]));
  mx = fmaxf(mx, shfl_xor(mx, 1));
  mx = fmaxf(mx, shfl_xor(mx, 2));
  const float m_new = fmaxf(m, mx);
  // A row with no live key so far keeps m = -inf: nothing to rescale, every weight 0.
  const float corr = m_new == -INFINITY ? 1.0f : exp2_ftz(m - m_new);
  float sum = 0.0f;
#pragma unroll
  for (int nt = 0; nt < kNT; ++nt) {
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const float p = m_new == -INFINITY ? 0.0f : exp2_ftz(s[nt][2 * rr + e] - m_new);
      s[nt][2 * rr + e] = p;
      sum += p;
    }
  }
  sum += shfl_xor(sum, 1);
  sum += shfl_xor(sum, 2);
  l = l * corr + sum;
  m = m_new;
  return corr;
}

}  // namespace rocmforge::backend::gpu
