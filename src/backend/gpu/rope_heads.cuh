// The rotation of RoPE's kernels (rope.cu, and rope_store.cu, which also
// stores K): the heads of up to two targets, a thread's share of them, and
// each pair's angle, written once so that both kernels give the same bits.
#pragma once

#include <cstdint>
#include <span>

#include "backend/backend.h"
#include "backend/gpu/compat.cuh"
#include "backend/gpu/rope.cuh"
#include "backend/rope_yarn.h"

namespace rocmforge::backend::gpu {

struct RopeHeads {
  RopeTarget targets[kMaxRopeTargets];
  int64_t first_head_1;  // heads of target 0; later heads are target 1's
  int64_t n_heads;       // of all targets
  int64_t head_dim;
  int64_t n_rot;
  int64_t half;  // n_rot / 2 for NEOX pairs (x[i], x[i + n_rot/2]); 0 for adjacent pairs
  float freq_scale;
  float ext_factor;
  RopeConstants k;
  const float* freq_factors;  // [n_rot / 2] or null
};

// Heads one thread rotates: the angle (a loop of multiplications and a sine
// and cosine) is worked out once for all of them. At 512 tokens one thread
// per head and pair took 40 us a layer on the H200 (each working out its
// angle, and picking its target by a computed index, which copied the
// parameters to local memory).
inline constexpr int kRopeHeadsPerThread = 8;

// The caller has checked 1 <= targets.size() <= kMaxRopeTargets.
inline RopeHeads rope_heads(std::span<const RopeTarget> targets, const RopeParams& p) {
  RopeHeads h{{},
              targets[0].n_heads,
              0,
              p.head_dim,
              p.n_rot,
              p.neox ? p.n_rot / 2 : 0,
              p.freq_scale,
              p.ext_factor,
              rope_constants(p),
              p.freq_factors};
  for (size_t i = 0; i < targets.size(); ++i) {
    h.targets[i] = targets[i];
    h.n_heads += targets[i].n_heads;
  }
  return h;
}

// Threads of one token's rotation: one per (rotated pair, run of kRopeHeadsPerThread heads).
inline int64_t rope_threads(const RopeHeads& h) {
  return (h.n_heads + kRopeHeadsPerThread - 1) / kRopeHeadsPerThread * (h.n_rot / 2);
}

// The cosine and sine of pair `pair`'s angle at `position`, times mscale.
// The angle is built by repeated multiplication from the position, in the
// CPU's order, so both backends agree on it to the bit. Products and sums
// are rounded as the CPU's are (rope.cpp, vec_ops.cpp: fmaf where it calls
// std::fma, __fmul_rn and __fadd_rn where it does not fuse): left to the
// compiler, a product could be fused into a sum in one kernel that inlines
// this and not in another.
__device__ __forceinline__ void rope_cos_sin(const RopeConstants& k, float freq_scale, float ext_factor,
                                             const float* freq_factors, int64_t pair, int32_t position, float& c,
                                             float& s) {
  float theta_extrap = static_cast<float>(position);
  for (int64_t j = 0; j < pair; ++j) theta_extrap *= k.theta_scale;
  const float ff = freq_factors != nullptr ? freq_factors[pair] : 1.0f;
  const float extrap = theta_extrap / ff;
  const float interp = freq_scale * extrap;
  float theta = interp;
  if (ext_factor != 0.0f) {
    const float y = (static_cast<float>(pair) - k.corr_low) / fmaxf(0.001f, k.corr_high - k.corr_low);
    const float mix = __fmul_rn(1.0f - fminf(1.0f, fmaxf(0.0f, y)), ext_factor);
    theta = __fadd_rn(__fmul_rn(interp, 1.0f - mix), __fmul_rn(extrap, mix));  // the CPU's, unfused
  }
  c = cosf(theta) * k.mscale;
  s = sinf(theta) * k.mscale;
}

// The pair (x0, x1) turned by the angle of cosine c and sine s, rounded as the CPU rounds it.
__device__ __forceinline__ float2 rotate_pair(float x0, float x1, float c, float s) {
  return make_float2(fmaf(x0, c, -__fmul_rn(x1, s)), fmaf(x0, s, __fmul_rn(x1, c)));
}

// Thread i (of rope_threads) of token t rotates its pair in its run of
// heads in place, then calls rotated(head, ia, ib, ya, yb) for each head:
// its dims ia and ib now hold ya and yb.
template <class Rotated>
__device__ __forceinline__ void rotate_heads(const RopeHeads& a, int64_t t, int32_t position, int64_t i,
                                             Rotated&& rotated) {
  const int64_t pairs = a.n_rot / 2;
  const int64_t head0 = i / pairs * kRopeHeadsPerThread;
  if (head0 >= a.n_heads) return;
  const int64_t pair = i % pairs;
  const int64_t i0 = 2 * pair;
  float c = 0.0f;
  float s = 0.0f;
  rope_cos_sin(a.k, a.freq_scale, a.ext_factor, a.freq_factors, pair, position, c, s);
  const int64_t ia = a.half != 0 ? pair : i0;
  const int64_t ib = a.half != 0 ? pair + a.half : i0 + 1;
  // All loads before any store, so they are in flight together.
  float* v[kRopeHeadsPerThread];
  float x0[kRopeHeadsPerThread];
  float x1[kRopeHeadsPerThread];
#pragma unroll
  for (int k = 0; k < kRopeHeadsPerThread; ++k) {
    const int64_t head = head0 + k;
    v[k] = nullptr;
    if (head >= a.n_heads) continue;
    // Fixed indices into the targets: a computed one would copy the parameters to local memory.
    const bool second = head >= a.first_head_1;
    float* x = second ? a.targets[1].x : a.targets[0].x;
    const int64_t stride = second ? a.targets[1].x_stride : a.targets[0].x_stride;
    v[k] = x + t * stride + (second ? head - a.first_head_1 : head) * a.head_dim;
    x0[k] = v[k][ia];
    x1[k] = v[k][ib];
  }
#pragma unroll
  for (int k = 0; k < kRopeHeadsPerThread; ++k) {
    if (v[k] == nullptr) continue;
    const float2 y = rotate_pair(x0[k], x1[k], c, s);
    v[k][ia] = y.x;
    v[k][ib] = y.y;
    rotated(head0 + k, ia, ib, y.x, y.y);
  }
}

}  // namespace rocmforge::backend::gpu
