#include "backend/gpu/rope.cuh"

#include "backend/gpu/check.cuh"
#include "backend/gpu/rope_heads.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 128;

// One thread per (rotated pair, run of kRopeHeadsPerThread heads) of one
// token (blockIdx.y), over the heads of every target (rope_heads.cuh).
__global__ void __launch_bounds__(kThreads)
    rope_kernel(const int32_t* __restrict__ positions,  // [n_tokens]
                RopeHeads a) {
  wait_for_previous_kernel();
  allow_next_kernel();
  const int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  rotate_heads(a, blockIdx.y, positions[blockIdx.y], i, [](int64_t, int64_t, int64_t, float, float) {});
}

}  // namespace

Status launch_rope(std::span<const RopeTarget> targets, int64_t n_tokens, const int32_t* positions,
                   const RopeParams& p, rt::Stream stream) {
  if (targets.empty() || targets.size() > kMaxRopeTargets) {
    return RF_ERROR(kInternal, "{} RoPE targets in one launch", targets.size());
  }
  if (n_tokens == 0 || p.n_rot == 0) return ok();
  if (n_tokens > 65535) return RF_ERROR(kInternal, "{} tokens in one RoPE launch", n_tokens);
  const RopeHeads heads = rope_heads(targets, p);
  const int64_t work = rope_threads(heads);
  const dim3 grid(static_cast<unsigned>((work + kThreads - 1) / kThreads), static_cast<unsigned>(n_tokens));
  return check(rt::launch_overlapped(rope_kernel, grid, kThreads, stream, positions, heads), "rope_kernel");
}

}  // namespace rocmforge::backend::gpu
