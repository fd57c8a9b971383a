#include "backend/gpu/rope.cuh"

#include "backend/gpu/check.cuh"
#include "backend/rope_yarn.h"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 128;

struct RopeArgs {
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
constexpr int kHeadsPerThread = 8;

// One thread per (rotated pair, run of kHeadsPerThread heads) of one token
// (blockIdx.y), over the heads of every target. The angle is built by
// repeated multiplication from the position, in the CPU's order, so both
// backends agree on it to the bit.
__global__ void __launch_bounds__(kThreads)
    rope_kernel(const int32_t* __restrict__ positions,  // [n_tokens]
                RopeArgs a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t pairs = a.n_rot / 2;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  const int64_t head0 = i / pairs * kHeadsPerThread;
  if (head0 >= a.n_heads) return;
  const int64_t pair = i % pairs;
  const int64_t i0 = 2 * pair;
  float theta_extrap = static_cast<float>(positions[blockIdx.y]);
  for (int64_t j = 0; j < pair; ++j) theta_extrap *= a.k.theta_scale;
  const float ff = a.freq_factors != nullptr ? a.freq_factors[pair] : 1.0f;
  const float extrap = theta_extrap / ff;
  const float interp = a.freq_scale * extrap;
  float theta = interp;
  if (a.ext_factor != 0.0f) {
    const float y = (static_cast<float>(pair) - a.k.corr_low) / fmaxf(0.001f, a.k.corr_high - a.k.corr_low);
    const float mix = (1.0f - fminf(1.0f, fmaxf(0.0f, y))) * a.ext_factor;
    theta = interp * (1.0f - mix) + extrap * mix;
  }
  const float c = cosf(theta) * a.k.mscale;
  const float s = sinf(theta) * a.k.mscale;
  const int64_t ia = a.half != 0 ? pair : i0;
  const int64_t ib = a.half != 0 ? pair + a.half : i0 + 1;
  // All loads before any store, so they are in flight together.
  float* v[kHeadsPerThread];
  float x0[kHeadsPerThread];
  float x1[kHeadsPerThread];
#pragma unroll
  for (int k = 0; k < kHeadsPerThread; ++k) {
    const int64_t head = head0 + k;
    v[k] = nullptr;
    if (head >= a.n_heads) continue;
    // Fixed indices into the targets: a computed one would copy the parameters to local memory.
    const bool second = head >= a.first_head_1;
    float* x = second ? a.targets[1].x : a.targets[0].x;
    const int64_t stride = second ? a.targets[1].x_stride : a.targets[0].x_stride;
    v[k] = x + static_cast<int64_t>(blockIdx.y) * stride + (second ? head - a.first_head_1 : head) * a.head_dim;
    x0[k] = v[k][ia];
    x1[k] = v[k][ib];
  }
#pragma unroll
  for (int k = 0; k < kHeadsPerThread; ++k) {
    if (v[k] == nullptr) continue;
    v[k][ia] = x0[k] * c - x1[k] * s;
    v[k][ib] = x0[k] * s + x1[k] * c;
  }
}

}  // namespace

Status launch_rope(std::span<const RopeTarget> targets, int64_t n_tokens, const int32_t* positions,
                   const RopeParams& p, rt::Stream stream) {
  if (targets.empty() || targets.size() > kMaxRopeTargets) {
    return RF_ERROR(kInternal, "{} RoPE targets in one launch", targets.size());
  }
  if (n_tokens == 0 || p.n_rot == 0) return ok();
  if (n_tokens > 65535) return RF_ERROR(kInternal, "{} tokens in one RoPE launch", n_tokens);
  RopeArgs args{{},
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
    args.targets[i] = targets[i];
    args.n_heads += targets[i].n_heads;
  }
  const int64_t work = (args.n_heads + kHeadsPerThread - 1) / kHeadsPerThread * (p.n_rot / 2);
  const dim3 grid(static_cast<unsigned>((work + kThreads - 1) / kThreads), static_cast<unsigned>(n_tokens));
  return check(rt::launch_overlapped(rope_kernel, grid, kThreads, stream, positions, args), "rope_kernel");
}

}  // namespace rocmforge::backend::gpu
