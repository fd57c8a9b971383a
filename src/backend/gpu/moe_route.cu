#include "backend/gpu/moe_route.cuh"

#include "backend/gpu/check.cuh"

namespace rocmforge::backend::gpu {
namespace {

constexpr int kThreads = 64;

// One thread per token: the selection is n_used passes over n_expert logits
// (softmax is monotonic, so the largest logits are the most likely experts;
// the lower id wins ties, as on the CPU).
__global__ void __launch_bounds__(kThreads)
    moe_route_kernel(const float* __restrict__ logits, int64_t logits_stride,  // [n_tokens, n_expert]
                     int64_t n_tokens, MoeRouting r,
                     int32_t* __restrict__ ids,                            // [n_tokens, n_used]
                     float* __restrict__ weights, int64_t weights_stride)  // [n_tokens, n_used]
{
  const int64_t t = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x;
  if (t >= n_tokens) return;
  const float* l = logits + t * logits_stride;
  float max = -INFINITY;
  for (int64_t e = 0; e < r.n_expert; ++e) max = fmaxf(max, l[e]);
  double sum = 0.0;
  for (int64_t e = 0; e < r.n_expert; ++e) sum += static_cast<double>(expf(l[e] - max));
  const auto inv = static_cast<float>(1.0 / sum);
  float* w = weights + t * weights_stride;
  int32_t* out_ids = ids + t * r.n_used;
  double total = 0.0;
  float last = INFINITY;
  int64_t last_id = -1;
  for (int64_t j = 0; j < r.n_used; ++j) {
    // The largest logit ranked after (last, last_id) in (value desc, id asc) order.
    int64_t best = -1;
    for (int64_t e = 0; e < r.n_expert; ++e) {
      const float v = l[e];
      const bool after_last = v < last || (v == last && e > last_id);
      if (after_last && (best < 0 || v > l[best])) best = e;
    }
    out_ids[j] = static_cast<int32_t>(best);
    w[j] = expf(l[best] - max) * inv;
    total += static_cast<double>(w[j]);
    last = l[best];
    last_id = best;
  }
  if (r.normalize) {
    const float norm = fmaxf(static_cast<float>(total), 6.103515625e-5f);  // ggml clamps at the F16 minimum
    for (int64_t j = 0; j < r.n_used; ++j) w[j] /= norm;
  }
  if (r.weight_scale != 0.0f && r.weight_scale != 1.0f) {
    for (int64_t j = 0; j < r.n_used; ++j) w[j] *= r.weight_scale;
  }
}

}  // namespace

Status launch_moe_route(const float* logits, int64_t logits_stride, int64_t n_tokens, const MoeRouting& routing,
                        int32_t* ids, float* weights, int64_t weights_stride, rt::Stream stream) {
  if (n_tokens == 0) return ok();
  if (routing.n_used <= 0 || routing.n_used > routing.n_expert) {
    return RF_ERROR(kInternal, "routing {} of {} experts", routing.n_used, routing.n_expert);
  }
  moe_route_kernel<<<static_cast<unsigned>((n_tokens + kThreads - 1) / kThreads), kThreads, 0, stream>>>(
      logits, logits_stride, n_tokens, routing, ids, weights, weights_stride);
  return check_launch("moe_route_kernel");
}

}  // namespace rocmforge::backend::gpu
