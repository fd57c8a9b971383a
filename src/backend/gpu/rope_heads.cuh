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

// Thread i (of rope_threads) of token t rotates its pair in its run of
// heads in place, then calls rotated(head, ia, ib, ya, yb) for each head:
// its dims ia and ib now hold ya and yb. The angle is built by repeated
// multiplication from the position, in the CPU's order, so both backends
// agree on it to the bit. Products and sums are rounded as the CPU's are
// (rope.cpp, vec_ops.cpp: fmaf where it calls std::fma, __fmul_rn and
// __fadd_rn where it does not fuse): left to the compiler, a product could
// be fused into a sum in one kernel that inlines this and not in the other.
template <class Rotated>
__device__ __forceinline__ void rotate_heads(const RopeHeads& a, int64_t t, int32_t position, int64_t i,
                                             Rotated&& rotated) {
  const int64_t pairs = a.n_rot / 2;
  const int64_t head0 = i / pairs * kRopeHeadsPerThread;
  if (head0 >= a.n_heads) return;
  const int64_t pair = i % pairs;
  const int64_t i0 = 2 * pair;
  float theta_extrap = static_cast<float>(position);
  for (int64_t j = 0; j < pair; ++j) theta_extrap *= a.k.theta_scale;
  const float ff = a.freq_factors != nullptr ? a.freq_factors[pair] : 1.0f;
  const float extrap = theta_extrap / ff;
  const float interp = a.freq_scale * extrap;
  float theta = interp;
  if (a.ext_factor != 0.0f) {
    const float y = (static_cast<float>(pair) - a.k.corr_low) / fmaxf(0.001f, a.k.corr_high - a.k.corr_low);
    const float mix = __fmul_rn(1.0f - fminf(1.0f, fmaxf(0.0f, y)), a.ext_factor);
    theta = __fadd_rn(__fmul_rn(interp, 1.0f - mix), __fmul_rn(extrap, mix));  // the CPU's, unfused
  }
  const float c = cosf(theta) * a.k.mscale;
  const float s = sinf(theta) * a.k.mscale;
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
    const float ya = fmaf(x0[k], c, -__fmul_rn(x1[k], s));
    const float yb = fmaf(x0[k], s, __fmul_rn(x1[k], c));
    v[k][ia] = ya;
    v[k][ib] = yb;
    rotated(head0 + k, ia, ib, ya, yb);
  }
}

}  // namespace rocmforge::backend::gpu
