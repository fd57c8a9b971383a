// Rotary position embedding as ggml computes it (rope_f32 with YaRN): the
// angle of pair i is pos * base^(-2i/n_rot), built by repeated multiplication
// in float exactly as ggml does, optionally divided by per-pair frequency
// factors (Llama 3.1) and blended for YaRN.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <vector>

#include "backend/cpu/ops.h"
#include "backend/rope_yarn.h"
#include "backend/cpu/vec_ops.h"

namespace rocmforge::backend::cpu {
namespace {

float yarn_ramp(float low, float high, int64_t i0) {
  const float y = (static_cast<float>(i0 / 2) - low) / std::max(0.001f, high - low);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}

// cos/sin of every rotated pair for one position.
void rope_cache(const RopeParams& p, const RopeConstants& k, float pos, float* cos_sin) {
  float theta_extrap = pos;
  for (int64_t i0 = 0; i0 < p.n_rot; i0 += 2) {
    const float ff = p.freq_factors != nullptr ? p.freq_factors[i0 / 2] : 1.0f;
    const float extrap = theta_extrap / ff;
    const float interp = p.freq_scale * extrap;
    float theta = interp;
    if (p.ext_factor != 0.0f) {
      const float mix = yarn_ramp(k.corr_low, k.corr_high, i0) * p.ext_factor;
      theta = interp * (1.0f - mix) + extrap * mix;
    }
    cos_sin[i0] = std::cos(theta) * k.mscale;
    cos_sin[i0 + 1] = std::sin(theta) * k.mscale;
    theta_extrap *= k.theta_scale;
  }
}

}  // namespace

void rope(core::ThreadPool& pool, const Tensor& x, const int32_t* positions, const RopeParams& p) {
  assert(x.cols == p.n_heads * p.head_dim && p.n_rot <= p.head_dim && p.n_rot % 2 == 0);
  const RopeConstants k = rope_constants(p);
  const int64_t half = p.neox ? p.n_rot / 2 : 0;
  const VecOps& ops = vec_ops();
  pool.parallel_for(x.rows, 4, [&](int64_t begin, int64_t end) {
    std::vector<float> cos_sin(static_cast<size_t>(p.n_rot));
    for (int64_t t = begin; t < end; ++t) {
      rope_cache(p, k, static_cast<float>(positions[t]), cos_sin.data());
      float* row = x.row<float>(t);
      for (int64_t h = 0; h < p.n_heads; ++h) ops.rope_rotate(row + h * p.head_dim, cos_sin.data(), p.n_rot, half);
    }
  });
}

}  // namespace rocmforge::backend::cpu
