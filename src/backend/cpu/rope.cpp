// Rotary position embedding as ggml computes it (rope_f32 with YaRN): the
// angle of pair i is pos * base^(-2i/n_rot), built by repeated multiplication
// in float exactly as ggml does, optionally divided by per-pair frequency
// factors (Llama 3.1) and blended for YaRN.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <vector>

#include "backend/cpu/ops.h"
#include "backend/cpu/vec_ops.h"

namespace rocmforge::backend::cpu {
namespace {

float yarn_ramp(float low, float high, int64_t i0) {
  const float y = (static_cast<float>(i0 / 2) - low) / std::max(0.001f, high - low);
  return 1.0f - std::min(1.0f, std::max(0.0f, y));
}

// The dimension at which rotation `n_rot_turns` wraps within the original context.
float yarn_corr_dim(int64_t n_dims, int64_t n_ctx_orig, float n_rot_turns, float base) {
  return static_cast<float>(n_dims) *
         std::log(static_cast<float>(n_ctx_orig) / (n_rot_turns * 2.0f * std::numbers::pi_v<float>)) /
         (2.0f * std::log(base));
}

// cos/sin of every rotated pair for one position.
void rope_cache(const RopeParams& p, float pos, const float corr[2], float* cos_sin) {
  const float theta_scale = std::pow(p.freq_base, -2.0f / static_cast<float>(p.n_rot));
  float theta_extrap = pos;
  for (int64_t i0 = 0; i0 < p.n_rot; i0 += 2) {
    const float ff = p.freq_factors != nullptr ? p.freq_factors[i0 / 2] : 1.0f;
    const float extrap = theta_extrap / ff;
    const float interp = p.freq_scale * extrap;
    float theta = interp;
    float mscale = p.attn_factor;
    if (p.ext_factor != 0.0f) {
      const float mix = yarn_ramp(corr[0], corr[1], i0) * p.ext_factor;
      theta = interp * (1.0f - mix) + extrap * mix;
      mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
    }
    cos_sin[i0] = std::cos(theta) * mscale;
    cos_sin[i0 + 1] = std::sin(theta) * mscale;
    theta_extrap *= theta_scale;
  }
}

}  // namespace

void rope(core::ThreadPool& pool, const Tensor& x, const int32_t* positions, const RopeParams& p) {
  assert(x.cols == p.n_heads * p.head_dim && p.n_rot <= p.head_dim && p.n_rot % 2 == 0);
  float corr[2] = {0.0f, 0.0f};
  if (p.ext_factor != 0.0f) {
    const float start = std::floor(yarn_corr_dim(p.n_rot, p.n_ctx_orig, p.beta_fast, p.freq_base));
    const float end = std::ceil(yarn_corr_dim(p.n_rot, p.n_ctx_orig, p.beta_slow, p.freq_base));
    corr[0] = std::max(0.0f, start);
    corr[1] = std::min(static_cast<float>(p.n_rot - 1), end);
  }
  const int64_t half = p.neox ? p.n_rot / 2 : 0;
  const VecOps& ops = vec_ops();
  pool.parallel_for(x.rows, 4, [&](int64_t begin, int64_t end) {
    std::vector<float> cos_sin(static_cast<size_t>(p.n_rot));
    for (int64_t t = begin; t < end; ++t) {
      rope_cache(p, static_cast<float>(positions[t]), corr, cos_sin.data());
      float* row = x.row<float>(t);
      for (int64_t h = 0; h < p.n_heads; ++h) ops.rope_rotate(row + h * p.head_dim, cos_sin.data(), p.n_rot, half);
    }
  });
}

}  // namespace rocmforge::backend::cpu
